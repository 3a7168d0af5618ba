"""Who may manage users and hand a colleague's work to another: administrators. Every signed-in
user sees their colleagues' names."""

from crm.auth.models import User
from crm.permissions import register, role

register(User, create=role("admin"), edit=role("admin"), hand_over=role("admin"))

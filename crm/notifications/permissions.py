"""Who sees a notification: its recipient alone. To anyone else it does not exist (a 404)."""

from typing import Any

from sqlalchemy import ColumnElement

from crm.notifications.models import Notification
from crm.permissions import register


def sees_notification(user: Any, notification: Any) -> bool:
    return bool(notification.user_id == user.id)


def own_notifications(user: Any) -> ColumnElement[bool]:
    return Notification.user_id == user.id


register(Notification, sees=sees_notification, where=own_notifications)

"""Reference data: the four diplomacy domains and the cooperation areas."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.extensions import db
from crm.models import CooperationArea
from crm.permissions import register

register(CooperationArea)  # reference data: everyone reads it, nobody changes it on a page

DOMAINS = {
    "organizations": _l("International city organisations"),
    "private_sector": _l("Private sector"),
    "cities": _l("Cities"),
    "citizens": _l("Citizens and the public"),
}

# code, English name, Persian name
COOPERATION_AREAS = [
    ("tourism", "Tourism", "گردشگری"),
    ("technical_civil", "Technical and civil works", "فنی و عمرانی"),
    ("economy", "Economy and investment", "اقتصاد و سرمایه‌گذاری"),
    ("culture", "Culture and heritage", "فرهنگ و میراث"),
    ("education", "Education and science", "آموزش و علم"),
    ("environment", "Environment and climate", "محیط زیست و اقلیم"),
    ("transport", "Transport", "حمل‌ونقل"),
    ("urban_planning", "Urban planning", "برنامه‌ریزی شهری"),
    ("smart_city", "Smart city and innovation", "شهر هوشمند و نوآوری"),
    ("health", "Health", "سلامت"),
    ("crisis", "Crisis management", "مدیریت بحران"),
    ("public_diplomacy", "Public diplomacy and city branding", "دیپلماسی عمومی و برندسازی شهری"),
    ("experience", "Exchange of experience", "تبادل تجربه"),
]


def ensure_cooperation_areas() -> int:
    """Insert the reference areas that are missing; returns how many were added."""
    have = set(db.session.scalars(select(CooperationArea.code)))
    added = 0
    for position, (code, name_en, name_fa) in enumerate(COOPERATION_AREAS):
        if code not in have:
            db.session.add(
                CooperationArea(code=code, name_en=name_en, name_fa=name_fa, position=position)
            )
            added += 1
    return added


def all_areas() -> list[CooperationArea]:
    return list(db.session.scalars(select(CooperationArea).order_by(CooperationArea.position)))

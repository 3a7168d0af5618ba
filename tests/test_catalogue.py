"""Every message the code and templates show has its Persian translation, as `make extract`
finds them: the keywords it extracts with cover every name the code calls gettext by."""

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
GETTEXT_NAMES = {"gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext", "npgettext"}


def _extract_keywords() -> list[str]:
    """The ``-k`` keywords of the Makefile's ``extract`` rule."""
    rule = re.search(r"pybabel extract (.*)", (ROOT / "Makefile").read_text("utf-8"))
    assert rule, "the Makefile has an extract rule"
    return re.findall(r"-k (\S+)", rule.group(1))


def test_every_name_the_code_calls_gettext_by_is_extracted():
    keywords = {spec.split(":")[0] for spec in _extract_keywords()} | set(DEFAULT_KEYWORDS)
    used = set()
    for path in (ROOT / "crm").rglob("*.py"):
        for name, alias in re.findall(
            r"from flask_babel import (\w+)(?: as (\w+))?", path.read_text("utf-8")
        ):
            if name in GETTEXT_NAMES:
                used.add(alias or name)
    assert used, "the code translates through flask_babel"
    assert used <= keywords, f"add to the extract rule: {sorted(used - keywords)}"


def _ours(directory: str) -> bool:
    """The project's own folders: not node_modules, the virtualenv or instance data."""
    name = Path(directory).name
    return not name.startswith((".", "_")) and name not in {"node_modules", "instance"}


def test_every_message_has_a_persian_translation():
    keywords = dict(DEFAULT_KEYWORDS) | parse_keywords(_extract_keywords())
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=keywords, directory_filter=_ours
        )
        if message and (isinstance(message, str) or message[0])
    }
    with (ROOT / "translations/fa/LC_MESSAGES/messages.po").open("rb") as source:
        catalogue = read_po(source)
    translated = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalogue
        if message.id
        and not message.fuzzy
        and (all(message.string) if isinstance(message.string, tuple) else message.string)
    }
    assert len(found) > 500
    assert sorted(found - translated) == []

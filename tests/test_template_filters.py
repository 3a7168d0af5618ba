"""The formatting filters format for each reader, even a constant in a template."""

from flask import render_template_string, url_for

from crm.formatting import Formatter
from crm.i18n import reading_as
from crm.templating import record_url


def test_a_constant_number_is_formatted_for_each_reader(client, auth):
    auth.login("staff", locale="fa")
    persian = client.get("/").get_data(as_text=True)
    assert "Expiring" not in persian and "۹۰" in persian
    auth.logout()
    auth.login("staff", locale="en")
    english = client.get("/").get_data(as_text=True)
    # ``90 | number`` used to be worked out once, when the template was compiled, in the
    # language of whoever came first.
    assert "Expiring in the next 90 days" in english


def test_templates_translate_for_the_reader_of_each_rendering_as_jinja_does(app):
    """``_``, ``ngettext`` and the code tables read the catalogue of whoever the template is
    rendered for (a job renders for its recipient with ``reading_as``); like Jinja's own
    gettext, a variable is escaped into the text and ``%%`` is written ``%``."""
    source = (
        "{{ _('Partners') }}|{{ _('Hello, %(name)s', name='<b>') }}|"
        "{{ ngettext('%(num)s result', '%(num)s results', 3) }}|{{ _('100%%') }}|"
        "{{ STAGES['idea'] }}|{{ STAGES.get('nothing', 'x') }}"
    )
    with app.test_request_context():
        with reading_as(Formatter("fa", "Asia/Tehran")):
            persian = render_template_string(source)
        with reading_as(Formatter("en", "UTC")):
            english = render_template_string(source)
    assert persian == "طرف‌های همکاری|&lt;b&gt;، خوش آمدید|3 نتیجه|100%|ایده|x"
    assert english == "Partners|Hello, &lt;b&gt;|3 results|100%|Idea|x"


def test_record_links_are_the_urls_url_for_builds(app):
    """``record_url`` builds a record's URL once per request and endpoint and puts each row's
    id in: the same URL as ``url_for``, also under a prefix (an app served below a path)."""
    for base in ("http://localhost/", "http://localhost/crm/"):
        with app.test_request_context("/", base_url=base):
            for record_id in (1, 42, 86420975319, 2**40):
                for endpoint, name in (
                    ("partners.detail", "partner_id"),
                    ("auth.edit_user", "user_id"),
                ):
                    assert record_url(endpoint, **{name: record_id}) == url_for(
                        endpoint, **{name: record_id}
                    )
            assert record_url("partners.detail", partner_id=7).startswith(
                base[len("http://localhost") :]
            )

"""«Шаблони листів»: admin and accountant edit the subject and body of each message with a preview;
operator and inspector may not; an unknown {placeholder} is refused next to its field; the
mail helpers' ``render`` uses the edited template, the default when none."""
import pytest

from app.services.mail import templates


@pytest.mark.parametrize("role, allowed", [("admin", True), ("accountant", True), ("operator", False),
                                           ("inspector", False)])
def test_who_may_open_and_edit_the_templates(client_as, role, allowed):
    client = client_as(role)
    for url in ("/mailtemplates/", "/mailtemplates/edit/reminder/uk"):
        response = client.get(url)
        if allowed:
            assert response.status_code == 200, url
        else:
            assert response.status_code in (302, 403), url
            assert "Передайте показники" not in response.get_data(as_text=True)
    saved = client.post("/mailtemplates/edit/invoice/en", data={"subject": "X {period}", "body": "Y",
                                                                 "action": "save"})
    if allowed:
        assert saved.status_code == 302
        client.post("/mailtemplates/edit/invoice/en", data={"action": "reset", "subject": "", "body": ""})
    else:
        assert saved.status_code in (302, 403)
        assert client.get("/login/").status_code in (200, 302)
    menu = client.get("/").get_data(as_text=True)
    assert ("/mailtemplates/" in menu) is allowed


def test_an_unknown_placeholder_is_refused_next_to_the_field_and_nothing_stored(app, client_as):
    client = client_as("accountant")
    response = client.post("/mailtemplates/edit/reminder/uk", data={
        "subject": "Показники за {month}", "body": "Шановний {owner}, {balance} і {link}", "action": "save"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'id="error-body"' in text and "Невідомий заповнювач {balance}" in text
    assert 'id="error-subject"' not in text
    stray = client.post("/mailtemplates/edit/reminder/uk", data={"subject": "Показники {month", "body": "x",
                                                                  "action": "save"})
    assert stray.status_code == 400 and "Дужка { або } без пари" in stray.get_data(as_text=True)
    with app.app_context():
        assert templates.stored("reminder", "uk") is None


def test_preview_with_samples_and_with_a_real_account_then_save_and_render(app, client_as):
    client = client_as("admin")
    form = {"subject": "Показники за {month}, о/р {account_number}",
            "body": "{owner}, передайте показники:\n{meters}\n{link}", "action": "preview"}
    sample = client.post("/mailtemplates/edit/reminder/uk", data=form).get_data(as_text=True)
    assert "Показники за грудень 2026, о/р 1234567" in sample and "Іваненко Іван Іванович" in sample
    real = client.post("/mailtemplates/edit/reminder/uk", data={**form, "account": "B1-001"}).get_data(as_text=True)
    assert "о/р B1-001" in real and "Власник B1 1" in real and "/readings/online/" in real
    missing = client.post("/mailtemplates/edit/reminder/uk", data={**form, "account": "NOPE-1"})
    assert missing.status_code == 400 and "Немає особового рахунку NOPE-1" in missing.get_data(as_text=True)
    with app.app_context():
        assert templates.stored("reminder", "uk") is None  # a preview stores nothing
    assert client.post("/mailtemplates/edit/reminder/uk", data={**form, "action": "save"}).status_code == 302
    try:
        with app.app_context():
            subject, text = templates.render("reminder", "uk", {"month": "січень 2027", "account_number": "7",
                                                                "owner": "Олена", "meters": "• № 1", "link": "L"})
            assert (subject, text) == ("Показники за січень 2027, о/р 7", "Олена, передайте показники:\n• № 1\nL")
            # English is still the default
            assert templates.render("reminder", "en", {"month": "January 2027"})[0] == \
                "Please submit your meter readings for January 2027"
        listing = client.get("/mailtemplates/").get_data(as_text=True)
        assert "Показники за {month}, о/р {account_number}" in listing
    finally:
        client.post("/mailtemplates/edit/reminder/uk", data={"action": "reset", "subject": "", "body": ""})
    with app.app_context():
        assert templates.stored("reminder", "uk") is None
        assert templates.render("reminder", "uk", {"month": "січень 2027"})[0] == \
            "Передайте показники лічильників за січень 2027"


def test_every_default_uses_only_its_placeholders():
    for (kind, lang), (subject, body) in templates.DEFAULTS.items():
        assert templates.template_errors(kind, subject, body) == {}, (kind, lang)
    assert set(templates.DEFAULTS) == {(k, lang) for k in templates.KINDS for lang in templates.LANGUAGES}

"""Every menu entry opens for the admin; the login page is Ukrainian."""
import pytest

MENU_URLS = [
    "/", "/buildingview/list/", "/premiseview/list/", "/residentview/list/", "/registrationview/list/",
    "/accountview/list/", "/beneficiaryview/list/", "/serviceview/list/", "/tariffview/list/",
    "/normview/list/", "/metertypeview/list/", "/benefitcategoryview/list/", "/networknodeview/list/",
    "/organisationview/list/", "/settingview/list/", "/meterview/list/", "/readingview/list/",
    "/groupmeterpremiseview/list/", "/paymentview/list/", "/inspectorbuildingview/list/",
    "/users/list/", "/roles/list/",
]


def test_login_page_is_ukrainian(app):
    page = app.test_client().get("/login/").get_data(as_text=True)
    assert "Увійти" in page
    assert "Пароль" in page


@pytest.mark.parametrize("url", MENU_URLS)
def test_admin_opens_every_menu_entry(client_as, url):
    response = client_as("admin").get(url)
    assert response.status_code == 200, url


def test_menu_lists_the_modules_in_ukrainian(client_as):
    page = client_as("admin").get("/").get_data(as_text=True)
    for label in ("Довідники", "Реєстри", "Будинки", "Особові рахунки", "Картотека лічильників",
                  "Показники лічильників", "Груповий облік", "Номенклатура", "Прайс-листи"):
        assert label in page, label

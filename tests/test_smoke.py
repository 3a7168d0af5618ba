def test_login_page_renders_in_persian_rtl(client):
    response = client.get("/login?lang=fa")
    assert response.status_code == 200
    assert 'dir="rtl"' in response.get_data(as_text=True)


def test_staff_can_sign_in_and_see_start(auth, client):
    auth.login("staff")
    assert client.get("/").status_code == 200

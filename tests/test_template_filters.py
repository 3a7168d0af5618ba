"""The formatting filters format for each reader, even a constant in a template."""


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

"""tools/show.py, behind `make show`: what it masks and what it refuses, without salt-call."""

import pytest

from tools import show

VALUE = "0123456789abcdef0123"


def test_secret_named_keys_are_masked_like_the_state_output():
    high = {
        "keystone-user-admin-present": {
            "keystone_user": [
                {"name": "admin"},
                {"password": "not-from-the-file"},
                {"auth": {"auth_url": "http://cn43.internal:35357/v3", "token": "tok"}},
                "present",
            ]
        },
        "nova-config-file-managed": {
            "openstack_ini": [
                {
                    "sections": {
                        "database": {"connection": "mysql://nova:pw@cn43.internal/nova"},
                        "keystone_authtoken": {"admin_password": "pw", "admin_user": "nova"},
                        "DEFAULT": {"rabbit_password": 42, "sql_connection": "x"},
                    }
                },
                {"secret_keys": ["DEFAULT/my_ip"]},
            ]
        },
    }
    masked = show.mask(high, [])
    user = masked["keystone-user-admin-present"]["keystone_user"]
    assert user[1] == {"password": "***"}
    assert user[2]["auth"] == {"auth_url": "http://cn43.internal:35357/v3", "token": "***"}
    sections = masked["nova-config-file-managed"]["openstack_ini"][0]["sections"]
    assert sections["database"]["connection"] == "***"
    assert sections["keystone_authtoken"] == {"admin_password": "***", "admin_user": "nova"}
    assert sections["DEFAULT"] == {"rabbit_password": "***", "sql_connection": "***"}
    # a list of key names is not a secret: shown as it is
    assert masked["nova-config-file-managed"]["openstack_ini"][1] == {
        "secret_keys": ["DEFAULT/my_ip"]
    }


def test_every_secret_value_is_masked_wherever_it_appears():
    data = {"cmd": [{"name": f"echo {VALUE} | mysql -u root"}], "other": VALUE + "x"}
    assert show.mask(data, [VALUE]) == {
        "cmd": [{"name": "echo *** | mysql -u root"}],
        "other": "***x",
    }


def test_missing_secrets_file_is_refused_and_not_created(tmp_path):
    path = tmp_path / "secrets.yaml"
    with pytest.raises(show.ShowError, match=r"run `make secrets` first"):
        show.secret_values(path)
    assert not path.exists()


@pytest.mark.parametrize("node", ["", "a b", "x;y", "../x", "-x", "$(id)", "a\nb", "cn44\n"])
def test_anything_but_a_minion_id_is_refused(node, capsys):
    assert show.main([node]) == 2
    assert capsys.readouterr().out == ""

"""
hltcloud.secrets_file answers only where the pillar renders (the master, a masterless
salt-call): a minion's job return would carry every secret into the master's job cache.
"""

import pytest

from _modules import hltcloud
from _utils import hltcloud_secrets

SECRET = "0123456789abcdef0123"
WHERE = {
    "master": ("master", "remote"),
    "masterless": ("minion", "local"),
    "minion": ("minion", "remote"),
}


@pytest.fixture(params=sorted(WHERE))
def where(request):
    return request.param


@pytest.fixture
def configure_loader_modules(where):
    role, file_client = WHERE[where]
    return {
        hltcloud: {
            "__opts__": {"__role": role, "file_client": file_client},
            "__utils__": {"hltcloud_secrets.read": hltcloud_secrets.read},
        }
    }


def test_only_the_pillar_gets_the_secrets_a_job_gets_none(tmp_path, where):
    path = tmp_path / "secrets.yaml"
    path.write_text(f"nova_pass: {SECRET}\n")
    answer = hltcloud.secrets_file(str(path))
    if where == "minion":
        assert answer["secrets"] == {}
        assert "pillar only" in answer["error"] and SECRET not in answer["error"]
    else:
        assert answer == {"secrets": {"nova_pass": SECRET}, "error": None}

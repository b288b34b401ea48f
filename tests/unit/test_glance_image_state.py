"""glance_image.present's argument checks: pure functions, no Glance."""

import pytest

from _states import glance_image

MD5 = "64d7c1cd2b6f60c92c14662941cb7913"
SHA256 = "a" * 64


@pytest.mark.parametrize(
    ("source_hash", "expected"),
    [
        (f"md5={MD5}", ("md5", MD5)),
        (MD5, ("md5", MD5)),
        (f"MD5={MD5.upper()}", ("md5", MD5)),
        (f"sha256={SHA256}", ("sha256", SHA256)),
        (SHA256, ("sha256", SHA256)),
    ],
)
def test_source_hash_forms_salt_accepts_are_parsed(source_hash, expected):
    assert glance_image.parse_source_hash(source_hash) == expected


@pytest.mark.parametrize(
    ("source_hash", "message"),
    [
        ("md5=xyz", "is not a hex digest"),
        (f"sha256={MD5}", "is not a sha256 digest"),
        (f"crc32={MD5}", "unknown hash type 'crc32'"),
        ("abc", "no hash type has that length"),
        ("", "is not a hex digest"),
    ],
)
def test_bad_source_hash_is_refused_with_the_reason(source_hash, message):
    with pytest.raises(ValueError, match=message):
        glance_image.parse_source_hash(source_hash)


def _problem(**changes):
    args = {
        "name": "CirrOS Test Image",
        "source": "/var/cache/hltcloud/images/cirros.img",
        "source_hash": f"md5={MD5}",
        "disk_format": "qcow2",
        "container_format": "bare",
        "visibility": "public",
    }
    args.update(changes)
    return glance_image._validate(**args)


def test_runbook_arguments_are_valid():
    assert _problem() is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name must be a non-empty string"),
        ({"source": "cirros.img"}, "must be a URL (http, https, ftp, salt) or the absolute path"),
        ({"source": "gopher://host/cirros.img"}, "must be a URL"),
        ({"source_hash": "md5=zz"}, "is not a hex digest"),
        ({"disk_format": "qcow3"}, "disk_format of image 'CirrOS Test Image' must be one of"),
        ({"container_format": "box"}, "container_format of image"),
        # Icehouse's Image API v2 knows only public and private.
        ({"visibility": "community"}, "visibility of image 'CirrOS Test Image' must be one of"),
    ],
)
def test_bad_arguments_fail_before_any_request(changes, message):
    assert message in _problem(**changes)


def test_shown_keeps_no_locations_or_urls():
    image = {
        "id": "i",
        "name": "n",
        "status": "active",
        "checksum": MD5,
        "locations": [{"url": "file:///var/lib/glance/images/i"}],
        "direct_url": "file:///var/lib/glance/images/i",
        "file": "/v2/images/i/file",
    }
    assert glance_image.shown(image) == {
        "id": "i",
        "name": "n",
        "status": "active",
        "checksum": MD5,
    }


def test_a_url_source_needs_its_size():
    url = "http://cdn.download.cirros-cloud.net/0.3.2/cirros-0.3.2-x86_64-disk.img"
    assert "size (the file's bytes, a whole number) is required" in _problem(source=url)
    assert "is required for a URL source, not '-1'" in _problem(source=url, size=-1)
    assert "not 'True'" in _problem(source=url, size=True)
    assert _problem(source=url, size=13167616) is None

"""download_cache.locate: the one name of a URL's file in a cache directory (pure, no I/O)."""

import pytest

from _modules import download_cache

CACHE = "/var/cache/hltcloud/images"
CIRROS = "http://cdn.download.cirros-cloud.net/0.3.2/cirros-0.3.2-x86_64-disk.img"


@pytest.mark.parametrize(
    ("source", "cache_dir"),
    [
        (CIRROS, CACHE),
        (CIRROS, CACHE + "/"),
        (CIRROS, CACHE + "/./"),
        ("ftp://fr2.rpmfind.net/p/cirros-0.3.2-x86_64-disk.img", CACHE),
        ("salt://images/cirros-0.3.2-x86_64-disk.img", CACHE),
    ],
)
def test_a_url_is_kept_under_its_file_name_directly_in_the_cache_dir(source, cache_dir):
    assert download_cache.locate(source, cache_dir) == {
        "path": CACHE + "/cirros-0.3.2-x86_64-disk.img",
        "problem": None,
    }


@pytest.mark.parametrize(
    ("source", "why"),
    [
        (CIRROS + "?x=1", "has a query string"),
        (CIRROS + "?", "has a query string"),
        (CIRROS + "#part", "has a fragment"),
        (CIRROS + "#", "has a fragment"),
        ("http://cdn.download.cirros-cloud.net/0.3.2/", "ends with '/'"),
        ("http://cdn.download.cirros-cloud.net/", "ends with '/'"),
        ("http://cdn.download.cirros-cloud.net", "has no file name"),
        ("http://cdn.download.cirros-cloud.net/0.3.2/..", "has the file name"),
        ("http://cdn.download.cirros-cloud.net/0.3.2/.", "has the file name"),
        ("http://host/a/%2F..%2Fetc%2Fpasswd", "has the file name"),
        ("http://host/a/cirros.img.part", "has the file name"),
        ("/var/tmp/cirros.img", "is not a URL"),
        ("file:///var/tmp/cirros.img", "is not a URL"),
        (None, "is not a URL"),
    ],
)
def test_a_url_without_a_plain_file_name_is_refused_and_names_no_path(source, why):
    located = download_cache.locate(source, CACHE)
    assert located["path"] is None
    assert located["problem"].startswith(f"source '{source}' {why}")


@pytest.mark.parametrize("cache_dir", ["", None, "cache/images"])
def test_a_relative_or_missing_cache_dir_is_refused(cache_dir):
    assert download_cache.locate(CIRROS, cache_dir) == {
        "path": None,
        "problem": f"cache_dir '{cache_dir}' must be an absolute path",
    }

"""glance_image.present / absent against a real Glance 33 behind a real Keystone."""

import http.server
import json
import logging
import pathlib
import re
import threading
import time
import uuid

import pytest
import requests.adapters

from tests.support import keystone_server
from tests.support.glance_server import writes

pytestmark = pytest.mark.slow


@pytest.fixture
def unique(request):
    test = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name.removeprefix("test_"))[:24]
    return lambda: f"img-{test}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def tokens(monkeypatch):
    """Every token sent or received over HTTP during the test (keystoneauth uses requests)."""
    seen = set()
    send = requests.adapters.HTTPAdapter.send

    def spy(self, request, *args, **kwargs):
        if request.headers.get("X-Auth-Token"):
            seen.add(request.headers["X-Auth-Token"])
        response = send(self, request, *args, **kwargs)
        if response.headers.get("X-Subject-Token"):
            seen.add(response.headers["X-Subject-Token"])
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", spy)
    return seen


def present(loaders, name, image, auth, test=False, **kwargs):
    path, md5, _ = image
    args = {
        "name": name,
        "source": path,
        "source_hash": f"md5={md5}",
        "disk_format": "qcow2",
        "container_format": "bare",
        "visibility": "public",
        "auth": auth,
    }
    args.update(kwargs)
    return loaders.states.glance_image.present(test=test, **args)


def images_named(loaders, name, auth):
    return loaders.modules.glance_image.image_list(name=name, auth=auth)


def test_creates_the_image_active_public_with_the_files_md5(loaders, glance, auth, qcow2, unique):
    image = qcow2("16M")
    name = unique()
    mark = glance.mark()
    ret = present(loaders, name, image, auth)
    assert ret.result is True, ret.comment
    (found,) = images_named(loaders, name, auth)
    assert (found["status"], found["checksum"], found["visibility"]) == (
        "active",
        image[1],
        "public",
    )
    assert (found["disk_format"], found["container_format"]) == ("qcow2", "bare")
    assert ret.changes["old"] is None
    assert ret.changes["new"]["id"] == found["id"]
    assert ret.changes["new"]["checksum"] == image[1]
    assert f"Image '{name}' created (id {found['id']})" in ret.comment
    assert [(m, p.split("/")[-1]) for m, p, _ in writes(glance.requests(mark))] == [
        ("POST", "images"),
        ("PUT", "file"),
    ]
    # the data went into Glance's file store
    stored = glance.images_dir / found["id"]
    assert stored.read_bytes() == open(image[0], "rb").read()


def test_rerun_changes_nothing_and_writes_nothing(loaders, glance, auth, qcow2, unique):
    image = qcow2("16M")
    name = unique()
    assert present(loaders, name, image, auth).result is True
    mark = glance.mark()
    ret = present(loaders, name, image, auth)
    assert ret.result is True
    assert ret.changes == {}
    assert "is already active with checksum" in ret.comment
    assert writes(glance.requests(mark)) == []


def test_sha256_source_hash_is_checked_and_md5_compared(loaders, glance, auth, qcow2, unique):
    image = qcow2("16M")
    name = unique()
    ret = present(loaders, name, image, auth, source_hash=f"sha256={image[2]}")
    assert ret.result is True, ret.comment
    assert images_named(loaders, name, auth)[0]["checksum"] == image[1]


def test_changed_source_fails_clearly_and_makes_no_second_image(
    loaders, glance, auth, qcow2, unique
):
    first, second = qcow2("16M"), qcow2("32M")
    name = unique()
    assert present(loaders, name, first, auth).result is True
    (before,) = images_named(loaders, name, auth)
    mark = glance.mark()
    ret = present(loaders, name, second, auth)
    assert ret.result is False
    assert ret.changes == {}
    assert f"Glance already has an image named '{name}' (id {before['id']}" in ret.comment
    assert f"checksum {first[1]}" in ret.comment and f"md5 {second[1]}" in ret.comment
    assert f"glance image-delete {before['id']}" in ret.comment
    assert writes(glance.requests(mark)) == []
    assert [i["id"] for i in images_named(loaders, name, auth)] == [before["id"]]


def test_file_that_does_not_match_source_hash_is_not_uploaded(loaders, glance, auth, qcow2, unique):
    path, _, _ = qcow2("16M")
    other_md5 = qcow2("32M")[1]
    name = unique()
    mark = glance.mark()
    ret = present(loaders, name, (path, other_md5, None), auth)
    assert ret.result is False
    assert f"not the source_hash {other_md5}" in ret.comment
    assert writes(glance.requests(mark)) == []
    assert images_named(loaders, name, auth) == []


@pytest.mark.parametrize("testmode", [True, False])
def test_test_mode_reports_the_creation_and_writes_nothing(
    loaders, glance, auth, qcow2, unique, testmode
):
    image = qcow2("16M")
    name = unique()
    mark = glance.mark()
    ret = present(loaders, name, image, auth, test=testmode)
    assert (ret.result is None) is testmode
    assert ret.changes["old"] is None
    assert ret.changes["new"]["checksum"] == image[1]
    assert (writes(glance.requests(mark)) == []) is testmode
    assert len(images_named(loaders, name, auth)) == (0 if testmode else 1)


def test_test_mode_on_an_existing_image_is_a_clean_true(loaders, glance, auth, qcow2, unique):
    image = qcow2("16M")
    name = unique()
    assert present(loaders, name, image, auth).result is True
    ret = present(loaders, name, image, auth, test=True)
    assert ret.result is True and ret.changes == {}
    conflict = present(loaders, name, qcow2("32M"), auth, test=True)
    assert conflict.result is False and "glance image-delete" in conflict.comment


def test_queued_image_of_that_name_gets_the_data_no_second_image(
    loaders, glance, auth, qcow2, unique
):
    image = qcow2("16M")
    name = unique()
    empty = loaders.modules.glance_image.image_create(
        name, "qcow2", "bare", visibility="public", auth=auth
    )
    assert empty["status"] == "queued"
    ret = present(loaders, name, image, auth)
    assert ret.result is True, ret.comment
    assert ret.changes["old"]["status"] == "queued"
    (found,) = images_named(loaders, name, auth)
    assert (found["id"], found["status"], found["checksum"]) == (empty["id"], "active", image[1])


def test_private_image_is_made_public_in_place(loaders, glance, auth, qcow2, unique):
    image = qcow2("16M")
    name = unique()
    assert present(loaders, name, image, auth, visibility="private").result is True
    (before,) = images_named(loaders, name, auth)
    ret = present(loaders, name, image, auth)
    assert ret.result is True, ret.comment
    assert ret.changes == {"old": {"visibility": "private"}, "new": {"visibility": "public"}}
    (after,) = images_named(loaders, name, auth)
    assert (after["id"], after["visibility"]) == (before["id"], "public")


def test_two_images_of_one_name_fail_without_writing(loaders, glance, auth, qcow2, unique):
    image = qcow2("16M")
    name = unique()
    for _ in range(2):
        loaders.modules.glance_image.image_create(name, "qcow2", "bare", auth=auth)
    mark = glance.mark()
    ret = present(loaders, name, image, auth)
    assert ret.result is False
    assert f"2 images are named '{name}'" in ret.comment
    assert writes(glance.requests(mark)) == []


@pytest.mark.parametrize("testmode", [True, False])
def test_absent_deletes_every_image_of_the_name(loaders, glance, auth, qcow2, unique, testmode):
    image = qcow2("16M")
    name = unique()
    assert present(loaders, name, image, auth).result is True
    ret = loaders.states.glance_image.absent(name=name, auth=auth, test=testmode)
    assert (ret.result is None) is testmode
    (old,) = ret.changes["old"]
    assert (old["name"], old["checksum"]) == (name, image[1])
    assert ret.changes["new"] is None
    assert len(images_named(loaders, name, auth)) == (1 if testmode else 0)
    if not testmode:
        again = loaders.states.glance_image.absent(name=name, auth=auth)
        assert again.result is True and again.changes == {}


def test_glance_down_fails_within_the_retry_budget(loaders, glance, auth, qcow2, unique):
    image = qcow2("16M")
    name = unique()
    glance.stop()
    try:
        started = time.monotonic()
        ret = present(loaders, name, image, dict(auth, retry_timeout=2))
        elapsed = time.monotonic() - started
        assert ret.result is False
        assert glance.url in ret.comment
        assert "not answering" in ret.comment
        assert "Traceback" not in ret.comment
        assert elapsed < 2 + 5  # the budget, plus one Keystone token request
        # A dry run asks once and says what it would do once Glance is up.
        started = time.monotonic()
        dry = present(loaders, name, image, dict(auth, retry_timeout=2), test=True)
        assert time.monotonic() - started < 2
        assert dry.result is None
        assert f"image '{name}' would be created and uploaded" in dry.comment
        assert "once Glance is up (not checked: Glance at" in dry.comment
    finally:
        glance.start()
    assert present(loaders, name, image, auth).result is True


def test_dry_run_with_refused_credentials_fails_like_a_real_run(
    loaders, glance, auth, qcow2, unique
):
    # "Not checked" is for a Glance that does not answer yet; Keystone refusing the
    # credentials is a real problem the dry run must show.
    wrong = dict(auth, password="wrong-password-0123")
    rets = [present(loaders, unique(), qcow2("16M"), wrong, test=test) for test in (True, False)]
    assert [r.result for r in rets] == [False, False]
    for ret in rets:
        assert "not checked" not in ret.comment
        assert "HTTP 401" in ret.comment or "refused" in ret.comment, ret.comment


def test_no_token_or_password_in_returns_or_logs(
    loaders, glance, keystone, auth, qcow2, unique, tokens, caplog
):
    caplog.set_level(logging.DEBUG)
    image = qcow2("16M")
    name = unique()
    rets = [
        present(loaders, name, image, auth),
        present(loaders, name, image, auth),
        present(loaders, name, qcow2("32M"), auth),
        present(loaders, name, image, dict(auth, password="wrong-password-0123")),
        loaders.states.glance_image.absent(name=name, auth=auth, test=True),
    ]
    assert [r.result for r in rets] == [True, True, False, False, None]
    assert tokens, "no token was seen on the wire: the spy is broken"
    shown = json.dumps([[r.result, r.comment, r.changes] for r in rets])
    # Every log record of Salt, our modules, keystoneauth and requests; not the test
    # harness's own "Calling state.single(..., auth={...})" line, which is ours to print.
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("saltfactories")
    )
    assert "glance_image" in logged
    text = logged + shown + glance.log()
    for secret in [*tokens, keystone.admin_password, "wrong-password-0123"]:
        assert secret not in text


@pytest.fixture
def web(qcow2):
    """The qcow2 files served over HTTP on the loopback: (base URL, list of GET paths)."""
    folder = pathlib.Path(qcow2("16M")[0]).parent
    qcow2("32M")
    gets = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def do_GET(self):
            gets.append(self.path)
            super().do_GET()

        def log_message(self, format, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", gets
    finally:
        server.shutdown()
        server.server_close()


def served(base, qcow2, size="16M"):
    """(path, md5, its URL on the `web` server, its bytes) of a qcow2 file."""
    path, md5, _ = qcow2(size)
    return path, md5, f"{base}/{pathlib.Path(path).name}", pathlib.Path(path).stat().st_size


def test_url_source_is_downloaded_once_into_cache_dir(
    loaders, glance, auth, qcow2, unique, web, tmp_path
):
    base, gets = web
    path, md5, url, size = served(base, qcow2)
    name = unique()
    cache = tmp_path / "cache"
    ret = present(loaders, name, (url, md5, None), auth, cache_dir=str(cache), size=size)
    assert ret.result is True, ret.comment
    cached = cache / pathlib.Path(path).name
    assert f"({url} downloaded into {cached})" in ret.comment
    assert cached.read_bytes() == pathlib.Path(path).read_bytes()
    assert images_named(loaders, name, auth)[0]["checksum"] == md5
    assert len(gets) == 1
    mark = glance.mark()
    again = present(loaders, name, (url, md5, None), auth, cache_dir=str(cache), size=size)
    assert again.result is True and again.changes == {}
    assert len(gets) == 1
    assert writes(glance.requests(mark)) == []


def test_test_mode_downloads_nothing(loaders, glance, auth, qcow2, unique, web, tmp_path):
    base, gets = web
    path, md5, _ = qcow2("16M")
    url = f"{base}/{pathlib.Path(path).name}"
    name = unique()
    ret = present(loaders, name, (url, md5, None), auth, cache_dir=str(tmp_path), size=1, test=True)
    assert ret.result is None
    assert ret.changes["new"]["checksum"] == md5
    assert gets == []
    assert list(tmp_path.iterdir()) == []


def test_download_that_does_not_match_source_hash_is_removed_and_fails(
    loaders, glance, auth, qcow2, unique, web, tmp_path
):
    base, _ = web
    path, _, _ = qcow2("16M")
    other_md5 = qcow2("32M")[1]
    url = f"{base}/{pathlib.Path(path).name}"
    name = unique()
    mark = glance.mark()
    size = pathlib.Path(path).stat().st_size
    ret = present(loaders, name, (url, other_md5, None), auth, cache_dir=str(tmp_path), size=size)
    assert ret.result is False
    assert f"{url} downloaded but its md5 is not the source_hash {other_md5}" in ret.comment
    assert list(tmp_path.iterdir()) == []
    assert writes(glance.requests(mark)) == []
    assert images_named(loaders, name, auth) == []


def test_unreachable_url_fails_naming_it(loaders, glance, auth, qcow2, unique, tmp_path):
    _, md5, _ = qcow2("16M")
    url = f"http://127.0.0.1:{keystone_server.closed_port()}/cirros.img"
    ret = present(loaders, unique(), (url, md5, None), auth, cache_dir=str(tmp_path), size=1)
    assert ret.result is False
    assert f"cannot download {url}" in ret.comment
    assert list(tmp_path.iterdir()) == []


def test_a_download_bigger_than_its_size_is_stopped_and_nothing_uploaded(
    loaders, glance, auth, qcow2, unique, web, tmp_path
):
    base, _ = web
    _, md5, url, size = served(base, qcow2)
    name = unique()
    size -= 1
    mark = glance.mark()
    ret = present(loaders, name, (url, md5, None), auth, cache_dir=str(tmp_path), size=size)
    assert ret.result is False
    assert f"cannot download {url}: it declares {size + 1} bytes, not the expected {size}" in (
        ret.comment
    )
    assert list(tmp_path.iterdir()) == []
    assert writes(glance.requests(mark)) == []


def clean_pillar(keystone, url, md5, size, cache, name):
    """What salt/glance/images.jinja reads, pointed at this Keystone and ``cache``."""
    return {
        "cluster": {"head_fqdn": keystone.host},
        "secrets": {"admin_pass": keystone.admin_password},
        "glance": {
            "images": {
                "cirros": {
                    "name": name,
                    "source": url,
                    "source_hash": f"md5={md5}",
                    "size": size,
                }
            }
        },
        "hltcloud": {
            "lookup": {
                "glance": {"images": {"cache_dir": str(cache)}},
                # the image states' auth_url: parameters openstack, the identity admin port
                "openstack": {"apis": {"identity": {"admin_port": keystone.port}}},
            }
        },
    }


def test_clean_twin_removes_exactly_the_downloaded_file(
    loaders, glance, keystone, auth, qcow2, unique, web, tmp_path
):
    base, _ = web
    path, md5, url, size = served(base, qcow2)
    name = unique()
    cache = tmp_path / "cache"
    ret = present(loaders, name, (url, md5, None), auth, cache_dir=str(cache), size=size)
    assert ret.result is True, ret.comment
    (cache / "other.img").write_bytes(b"another image")
    pillar = clean_pillar(keystone, url, md5, size, cache, name)
    results = {r.id: r for r in loaders.modules.state.sls("glance.image.clean", pillar=pillar)}
    assert {sid: r.result for sid, r in results.items()} == {
        "glance-image-cirros-absent": True,
        "glance-image-cirros-cache-absent": True,
    }
    assert results["glance-image-cirros-cache-absent"].changes == {
        "removed": str(cache / pathlib.Path(path).name)
    }
    assert sorted(p.name for p in cache.iterdir()) == ["other.img"]
    assert images_named(loaders, name, auth) == []


@pytest.mark.parametrize(
    ("suffix", "why"),
    [
        ("?x=1", "has a query string"),
        ("#part", "has a fragment"),
        ("/", "ends with '/'"),
        ("/..", "has the file name '..'"),
    ],
    ids=["query", "fragment", "trailing-slash", "dot-dot"],
)
def test_clean_twin_refuses_a_url_without_a_plain_file_name_and_removes_nothing(
    loaders, glance, keystone, auth, qcow2, unique, web, tmp_path, suffix, why
):
    base, gets = web
    path, md5, url, size = served(base, qcow2)
    url += suffix
    name = unique()
    cache = tmp_path / "cache"
    cache.mkdir()
    kept = {p: b"cached " + p.encode() for p in (pathlib.Path(path).name, "other.img")}
    for file_name, data in kept.items():
        (cache / file_name).write_bytes(data)
    # The state refuses the URL too: nothing is downloaded or registered under it.
    ret = present(loaders, name, (url, md5, None), auth, cache_dir=str(cache), size=size)
    assert ret.result is False
    assert f"image '{name}': source '{url}' {why}" in ret.comment
    assert gets == []
    pillar = clean_pillar(keystone, url, md5, size, cache, name)
    results = list(loaders.modules.state.sls("glance.image.clean", pillar=pillar))
    assert [(r.id, r.result) for r in results] == [("glance-image-cirros-absent", False)]
    assert f"pillar glance:images:cirros:source: source '{url}' {why}" in results[0].comment
    assert results[0].changes == {}
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == kept

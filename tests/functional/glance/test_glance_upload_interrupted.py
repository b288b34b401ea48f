"""
glance_image.present when Glance dies in the middle of an upload: a real Glance 33 killed
(SIGKILL) while it writes the image into its file store, then started again.

Glance marks an image ``saving`` before it writes the data (Icehouse:
glance/api/v2/image_data.py:66-69 at 2014.1.5), so a Glance killed while writing leaves it
``saving`` with a partial file, and answers a new upload into it with HTTP 409 and webob's
HTML page (image_data.py:92-95; saving to saving is no transition of
glance/domain/__init__.py:100-105).
"""

import calendar
import contextlib
import hashlib
import os
import re
import threading
import time
import uuid

import pytest
from salt.exceptions import CommandExecutionError

from tests.support.glance_server import writes

pytestmark = pytest.mark.slow

# Big enough that Glance is still writing it when the watcher sees the file appear.
SIZE = 128 << 20


@pytest.fixture(scope="module")
def big_image(tmp_path_factory):
    """(path, md5) of a raw image of random bytes."""
    data = os.urandom(SIZE)
    path = tmp_path_factory.mktemp("big") / "big.raw"
    path.write_bytes(data)
    return str(path), hashlib.md5(data).hexdigest()


@pytest.fixture
def name(request):
    test = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name.removeprefix("test_"))[:24]
    return f"img-{test}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def slow_auth(auth):
    # Room for Glance to start again while a run reads the image's status.
    return dict(auth, retry_timeout=60)


@contextlib.contextmanager
def killed_while_storing(glance):
    """
    Kill Glance (SIGKILL) as soon as a new file in its store has data, then start it
    again; yields the list of what happened, checked on exit.
    """
    before = set(glance.images_dir.iterdir())
    seen = []

    def watch():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            new = [p for p in glance.images_dir.iterdir() if p not in before]
            if new and new[0].stat().st_size > 0:
                process, glance.process = glance.process, None
                process.kill()
                process.wait()
                seen.append(("killed", new[0].name, new[0].stat().st_size))
                glance.start()
                seen.append(("started",))
                return
            time.sleep(0.002)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        thread.join()
        if glance.process is None:
            glance.start()
    assert seen and seen[-1] == ("started",), seen
    assert 0 < seen[0][2] < SIZE, f"Glance was not killed while writing: {seen}"


def present(loaders, name, image, auth, test=False, **kwargs):
    path, md5 = image
    return loaders.states.glance_image.present(
        name=name,
        source=path,
        source_hash=f"md5={md5}",
        disk_format="raw",
        container_format="bare",
        visibility="public",
        auth=auth,
        test=test,
        **kwargs,
    )


def images_named(loaders, name, auth):
    return loaders.modules.glance_image.image_list(name=name, auth=auth)


def test_a_killed_upload_deletes_the_image_the_run_created_and_says_so_in_one_line(
    loaders, glance, slow_auth, big_image, name
):
    with killed_while_storing(glance) as seen:
        ret = present(loaders, name, big_image, slow_auth)
    image_id = seen[0][1]
    assert ret.result is False
    assert "\n" not in ret.comment and "<" not in ret.comment, ret.comment
    assert ret.comment == (
        f"image '{name}' (id {image_id}): the upload failed: PUT {glance.url}/v2/images/"
        f"{image_id}/file on Glance at {glance.url}: connection closed without an answer; it "
        "may or may not have been applied, so it is not sent again. Glance reported it saving "
        "(no complete data), so this run deleted it: the next run creates it again"
    )
    assert ret.changes == {}
    assert images_named(loaders, name, slow_auth) == []
    # The next run creates it again and converges; the one after changes nothing.
    mark = glance.mark()
    again = present(loaders, name, big_image, slow_auth)
    assert again.result is True, again.comment
    assert again.changes["old"] is None and again.changes["new"]["status"] == "active"
    assert [(m, p.split("/")[-1]) for m, p, _ in writes(glance.requests(mark))] == [
        ("POST", "images"),
        ("PUT", "file"),
    ]
    mark = glance.mark()
    third = present(loaders, name, big_image, slow_auth)
    assert third.result is True and third.changes == {}
    assert writes(glance.requests(mark)) == []


@pytest.fixture
def dead_upload(loaders, glance, slow_auth, big_image, name):
    """An image of ``name`` left ``saving`` by a Glance killed while writing its data."""
    module = loaders.modules.glance_image
    image = module.image_create(name, "raw", "bare", visibility="public", auth=slow_auth)
    with killed_while_storing(glance), pytest.raises(CommandExecutionError):
        module.image_upload(image["id"], big_image[0], auth=slow_auth)
    (found,) = images_named(loaders, name, slow_auth)
    assert (found["id"], found["status"], found["checksum"]) == (image["id"], "saving", None)
    return found


def test_an_upload_into_a_saving_image_fails_with_glances_message_in_one_line(
    loaders, glance, slow_auth, big_image, dead_upload
):
    with pytest.raises(CommandExecutionError) as exc:
        loaders.modules.glance_image.image_upload(dead_upload["id"], big_image[0], auth=slow_auth)
    assert str(exc.value) == (
        f"PUT /v2/images/{dead_upload['id']}/file on Glance at {glance.url} failed: HTTP 409: "
        "Image status transition from saving to saving is not allowed"
    )


@pytest.mark.parametrize("testmode", [True, False])
def test_a_saving_image_younger_than_stale_after_is_left_alone_saying_when_it_is_replaced(
    loaders, glance, slow_auth, big_image, dead_upload, name, testmode
):
    mark = glance.mark()
    ret = present(loaders, name, big_image, slow_auth, test=testmode, stale_after=3600)
    assert ret.result is False and ret.changes == {}
    assert re.fullmatch(
        rf"image '{name}' \(id {dead_upload['id']}\) is saving: it is saving, last updated "
        r"\d+s ago: an upload may be under way. Once it has not been updated for stale_after "
        r"\(3600s\), a run deletes it and creates it again",
        ret.comment,
    ), ret.comment
    assert writes(glance.requests(mark)) == []


def test_a_stale_saving_image_is_deleted_and_created_again_then_nothing_changes(
    loaders, glance, slow_auth, big_image, dead_upload, name
):
    stale_after = 2
    updated = calendar.timegm(time.strptime(dead_upload["updated_at"], "%Y-%m-%dT%H:%M:%SZ"))
    time.sleep(max(updated + stale_after + 1 - time.time(), 0))
    mark = glance.mark()
    dry = present(loaders, name, big_image, slow_auth, test=True, stale_after=stale_after)
    assert dry.result is None, dry.comment
    assert dry.changes["old"]["id"] == dead_upload["id"]
    assert dry.changes["new"]["checksum"] == big_image[1]
    assert re.fullmatch(
        rf"image '{name}' \(id {dead_upload['id']}\) is saving without data, last updated "
        r"\d+s ago \(stale_after 2s\): an upload that died; it would be deleted, and the "
        rf"image created again and {re.escape(big_image[0])} uploaded into it",
        dry.comment,
    ), dry.comment
    assert writes(glance.requests(mark)) == []
    ret = present(loaders, name, big_image, slow_auth, stale_after=stale_after)
    assert ret.result is True, ret.comment
    (found,) = images_named(loaders, name, slow_auth)
    assert found["id"] != dead_upload["id"]
    assert (found["status"], found["checksum"]) == ("active", big_image[1])
    assert ret.changes["old"]["id"] == dead_upload["id"]
    assert ret.changes["new"]["id"] == found["id"]
    assert f"deleted. Image '{name}' created (id {found['id']})" in ret.comment
    assert [(m, p.split("/")[-1]) for m, p, _ in writes(glance.requests(mark))] == [
        ("DELETE", dead_upload["id"]),
        ("POST", "images"),
        ("PUT", "file"),
    ]
    mark = glance.mark()
    again = present(loaders, name, big_image, slow_auth, stale_after=stale_after)
    assert again.result is True and again.changes == {}
    assert writes(glance.requests(mark)) == []

"""
A master's job cache written as the master writes it: Salt's own ``local_cache`` returner
(``prep_jid``, ``save_load``, ``returner``) in this process, on a master cachedir. Used to
put highstate jobs in a test master's cache, and by bench/bench_status.py to build a month
of jobs for 40 minions.
"""

import datetime

import salt.config
import salt.loader


def local_cache(cachedir):
    """Salt's ``local_cache`` returner functions over ``cachedir`` (a master's cachedir)."""
    opts = salt.config.master_config(None)
    opts["cachedir"] = str(cachedir)
    return salt.loader.returners(opts, {}, whitelist=["local_cache"])


def jid_at(when, serial=0):
    """A jid for ``when`` (a datetime), ``serial`` microseconds apart from its neighbours."""
    return f"{when + datetime.timedelta(microseconds=serial):%Y%m%d%H%M%S%f}"


def add_job(cache, jid, fun, arg, returns, out=None):
    """One job of ``fun`` (``arg``, a job's argument list) and each minion's return."""
    cache["local_cache.prep_jid"](passed_jid=jid)
    load = {"jid": jid, "fun": fun, "arg": arg, "tgt": sorted(returns), "tgt_type": "list"}
    cache["local_cache.save_load"](jid, {**load, "user": "root"}, minions=sorted(returns))
    for minion_id, ret in returns.items():
        job = {"jid": jid, "id": minion_id, "fun": fun, "fun_args": arg, "return": ret}
        if out:
            job["out"] = out
        cache["local_cache.returner"]({**job, "retcode": 0, "success": True})


def highstate_return(failed=()):
    """A highstate's return of two file states, those in ``failed`` failing."""
    return {
        f"file_|-{sid}_|-/etc/{sid}_|-managed": {
            "__id__": sid,
            "result": sid not in failed,
            "comment": "failed" if sid in failed else "ok",
            "changes": {},
        }
        for sid in ("motd-managed", "issue-managed", *failed)
    }

"""Import jobs: the lease (a job whose worker died is failed and can run again)
and the uploaded files (private, deleted when the job ends, purged when left over)."""

from __future__ import annotations

import datetime as dt
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from guanxi.access.choices import Role
from guanxi.core.leases import Heartbeat, seconds_since_beat
from guanxi.ingest.choices import JobFailure, JobStatus
from guanxi.ingest.leases import (
    UPLOAD_KEEP,
    import_job_heartbeat,
    import_jobs_sweep,
    import_uploads_purge,
)
from guanxi.ingest.models import ImportJob

GOOD = "手机号,姓名\n13800138000,张伟\n13900139000,李娜\n"
BAD = "手机号,姓名\n12,张伟\n"
LEASE = 60.0
WORKER_LOST_EN = (
    "The task worker stopped while this import was running (it was killed or the "
    "server was restarted). Nothing was written. You can run the import again."
)
WORKER_LOST_ZH = "导入运行期间任务进程停止了（被终止或服务器重启）。没有写入任何数据。可以重新运行此导入。"


@pytest.fixture(autouse=True)
def _own_uploads(settings: Any, tmp_path: Path) -> Path:
    uploads = tmp_path / "uploads"
    settings.MEDIA_ROOT = uploads
    settings.GUANXI_JOB_LEASE_SECONDS = LEASE
    return uploads


@pytest.fixture
def importer(client: Any, make_user: Any) -> Any:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(make_user(Role.OPERATIONS))
    return client


def _upload(client: Any, text: str = GOOD) -> ImportJob:
    response = client.post(
        reverse("ingest:upload"),
        {
            "kind": "customers",
            "preset": "generic",
            "source": "",
            "file": SimpleUploadedFile("people.csv", text.encode(), "text/csv"),
        },
    )
    assert response.status_code == 302, response.content.decode()
    return ImportJob.objects.latest("pk")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _as_if_its_worker_died(job: ImportJob, *, seconds_ago: float) -> None:
    """What a SIGKILLed worker leaves: running, claimed long ago, no beat since."""
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        heartbeat_at=timezone.now() - dt.timedelta(seconds=seconds_ago),
    )


def _detail(client: Any, job: ImportJob) -> str:
    response = client.get(reverse("ingest:job-detail", args=[job.pk]))
    return str(response.content.decode())


# --- the lease ----------------------------------------------------------------


def test_a_job_whose_worker_died_is_failed_when_looked_at_and_runs_again(
    importer: Any,
    counts: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    job = _upload(importer)
    before = counts()
    _as_if_its_worker_died(job, seconds_ago=LEASE + 1)

    html = _detail(importer, job)
    job.refresh_from_db()
    assert (job.status, job.failure) == (JobStatus.FAILED, JobFailure.WORKER_LOST)
    assert job.finished_at is not None
    assert WORKER_LOST_EN in html
    assert "Run the import again" in html
    assert 'hx-trigger="every 1s"' not in html  # no more polling
    assert counts() == before
    assert job.file and Path(job.file.path).exists()  # kept for the new run
    assert job.may_run

    # The preview works again, and so does confirming.
    preview = importer.get(reverse("ingest:job-preview", args=[job.pk]))
    assert preview.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        importer.post(reverse("ingest:job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.failure) == (JobStatus.DONE, "")
    assert job.report["created"] == 2
    assert counts()["Customer"] == before["Customer"] + 2
    assert not job.file


def test_the_worker_lost_message_in_chinese(importer: Any) -> None:
    job = _upload(importer)
    _as_if_its_worker_died(job, seconds_ago=LEASE + 1)
    importer.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    html = importer.get(reverse("ingest:job-progress", args=[job.pk])).content.decode()
    assert WORKER_LOST_ZH in html
    assert "重新运行导入" in html


def test_a_job_whose_worker_beats_stays_running(importer: Any) -> None:
    job = _upload(importer)
    _as_if_its_worker_died(job, seconds_ago=LEASE * 5)
    with import_job_heartbeat(job.pk):  # a live worker, claimed long ago
        html = _detail(importer, job)
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING
        assert 'hx-trigger="every 1s"' in html
    # A freshly claimed job has not beaten yet: running too.
    _as_if_its_worker_died(job, seconds_ago=1)
    _detail(importer, job)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING


def test_the_sweep_fails_only_jobs_whose_lease_expired(importer: Any) -> None:
    dead, alive, fresh = _upload(importer), _upload(importer), _upload(importer)
    _as_if_its_worker_died(dead, seconds_ago=LEASE + 1)
    _as_if_its_worker_died(alive, seconds_ago=LEASE + 1)
    _as_if_its_worker_died(fresh, seconds_ago=LEASE - 5)
    with import_job_heartbeat(alive.pk):
        assert import_jobs_sweep() == 1
    assert {j.pk: (j.status, j.failure) for j in ImportJob.objects.all()} == {
        dead.pk: (JobStatus.FAILED, JobFailure.WORKER_LOST),
        alive.pk: (JobStatus.RUNNING, ""),
        fresh.pk: (JobStatus.RUNNING, ""),
    }
    assert import_jobs_sweep() == 0


def test_a_job_left_running_before_leases_existed_is_failed(importer: Any) -> None:
    job = _upload(importer)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    assert import_jobs_sweep() == 1
    job.refresh_from_db()
    assert (job.status, job.failure) == (JobStatus.FAILED, JobFailure.WORKER_LOST)


def test_a_done_or_rejected_job_cannot_be_confirmed_again(
    importer: Any, huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = _upload(importer, BAD)
    with django_capture_on_commit_callbacks(execute=True):
        importer.post(reverse("ingest:job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.REJECTED
    assert not job.may_run
    with django_capture_on_commit_callbacks(execute=True):
        importer.post(reverse("ingest:job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.REJECTED
    preview = importer.get(reverse("ingest:job-preview", args=[job.pk]))
    assert preview["Location"] == reverse("ingest:job-detail", args=[job.pk])


def test_heartbeat_touches_its_file_until_the_block_ends(tmp_path: Path) -> None:
    path = tmp_path / "beat"
    with Heartbeat(path, every=0.05):
        assert _mode(path) == 0o600
        long_ago = time.time() - 3600
        os.utime(path, (long_ago, long_ago))
        deadline = time.monotonic() + 30
        while (seconds_since_beat(path) or 0) > 60:
            assert time.monotonic() < deadline, "the heartbeat never beat"
            time.sleep(0.05)
    stopped = path.stat().st_mtime
    time.sleep(0.2)
    assert path.stat().st_mtime == stopped  # the thread has stopped
    assert seconds_since_beat(tmp_path / "none") is None


# --- files at rest ------------------------------------------------------------


def test_an_upload_is_private(importer: Any, _own_uploads: Path) -> None:
    job = _upload(importer)
    path = Path(job.file.path)
    assert _mode(path) == 0o600
    folder = path.parent
    while folder != _own_uploads.parent:
        assert (folder.name, _mode(folder)) == (folder.name, 0o700)
        folder = folder.parent


def test_a_rejected_import_deletes_its_upload(
    importer: Any, huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = _upload(importer, BAD)
    path = Path(job.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        importer.post(reverse("ingest:job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.REJECTED
    assert job.report["errors"]  # what was wrong is kept, the file is not
    assert not job.file
    assert not path.exists()


def test_a_failed_import_deletes_its_upload(importer: Any, _own_uploads: Path) -> None:
    from guanxi.ingest.services import import_job_run

    job = _upload(importer)
    path = Path(job.file.path)
    # An upload the worker cannot read: a folder where the file was.
    path.unlink()
    path.mkdir()
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    with pytest.raises(IsADirectoryError):
        import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.failure) == (JobStatus.FAILED, JobFailure.ERROR)
    assert not job.file
    assert not path.exists()
    html = _detail(importer, job)
    assert "The import stopped because of an internal error" in html
    assert "Run the import again" not in html


def test_purge_deletes_what_nothing_needs(importer: Any, _own_uploads: Path) -> None:
    now = timezone.now()
    waiting = _upload(importer)  # just uploaded: kept
    stale = _upload(importer)  # uploaded two days ago, never imported
    ImportJob.objects.filter(pk=stale.pk).update(created_at=now - 2 * UPLOAD_KEEP)
    lost = _upload(importer)  # its worker died an hour ago: kept to run again
    ImportJob.objects.filter(pk=lost.pk).update(
        status=JobStatus.FAILED,
        failure=JobFailure.WORKER_LOST,
        finished_at=now - dt.timedelta(hours=1),
    )
    lost_long_ago = _upload(importer)
    ImportJob.objects.filter(pk=lost_long_ago.pk).update(
        status=JobStatus.FAILED,
        failure=JobFailure.WORKER_LOST,
        finished_at=now - 2 * UPLOAD_KEEP,
    )
    ended = _upload(importer)  # done, but its file stayed (a crash in between)
    ImportJob.objects.filter(pk=ended.pk).update(status=JobStatus.DONE)
    running = _upload(importer)
    ImportJob.objects.filter(pk=running.pk).update(status=JobStatus.RUNNING)

    imports = _own_uploads / "imports"
    old = time.time() - 7200
    orphan = imports / "2020" / "01" / "forgotten.csv"
    orphan.parent.mkdir(parents=True)
    orphan.write_text(GOOD)
    os.utime(orphan, (old, old))
    young_orphan = imports / "2020" / "01" / "arriving.csv"
    young_orphan.write_text(GOOD)
    ended_progress = imports / f"job-{ended.pk}.progress"
    ended_progress.write_text("5")
    running_progress = imports / f"job-{running.pk}.progress"
    running_progress.write_text("5")
    files = {j.pk: Path(j.file.path) for j in ImportJob.objects.all()}

    purged = import_uploads_purge()
    assert {p: path.exists() for p, path in files.items()} == {
        waiting.pk: True,
        stale.pk: False,
        lost.pk: True,
        lost_long_ago.pk: False,
        ended.pk: False,
        running.pk: True,
    }
    assert not orphan.exists()
    assert young_orphan.exists()
    assert not ended_progress.exists()
    assert purged == 5
    assert running_progress.exists()
    states = {j.pk: (j.status, j.failure) for j in ImportJob.objects.all()}
    assert states[stale.pk] == (JobStatus.FAILED, JobFailure.ABANDONED)
    assert states[lost_long_ago.pk] == (JobStatus.FAILED, JobFailure.ABANDONED)
    assert states[waiting.pk] == (JobStatus.UPLOADED, "")
    assert import_uploads_purge() == 0
    html = _detail(importer, ImportJob.objects.get(pk=stale.pk))
    assert (
        "This upload was not imported within a day, so its file was deleted. Upload "
        "the file again." in html
    )

#!/usr/bin/env python3
"""A short journey through the Python client generated from openapi.yaml.

tests/client/check.sh generates the client and installs it into its venv; then, against a
server started with the demo data (`sos serve --demo`, password `sos-demo`):

    SOS_BASE_URL=http://127.0.0.1:8080 tests/client/.venv/bin/python tests/client/journey.py

A head previews the classification and files two reports (one with a photo), the
department works the second, the head reads the inbox and closes it with a rating, and the
ward's leader reads the figures. Every answer is checked; the first failure is printed and
the exit status is 1. Only the loopback address of SOS_BASE_URL is ever contacted.
"""

import io
import ipaddress
import os
import struct
import sys
import time
import traceback
import uuid
import zlib
from urllib.parse import urlsplit

import httpx
from sos_khu_pho_client import AuthenticatedClient, Client
from sos_khu_pho_client.api.default import (
    act_on_report,
    classify_text,
    create_report,
    create_report_with_photos,
    list_notifications,
    login,
    mark_notification_read,
    stats_summary,
)
from sos_khu_pho_client.models import (
    ActionCode,
    ActionRequest,
    ClassifyTextBody,
    LoginRequest,
    ReportCreate,
    ReportCreateWithPhotos,
    SubcategoryCode,
)
from sos_khu_pho_client.types import File

PASSWORD = "sos-demo"
LAMP = "den duong hu truoc nha so 12, toi om"
ANSWER = "Đã thay bóng đèn, đèn sáng bình thường."


class Failed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failed(what)


def expect(response, status):
    """The parsed answer, if its status is the one expected."""
    if response.status_code != status:
        raise Failed(f"status {int(response.status_code)}, expected {status}: {response.content[:600]!r}")
    return response.parsed


def base_url():
    url = os.environ.get("SOS_BASE_URL", "").rstrip("/")
    parts = urlsplit(url)
    try:
        loopback = parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback or parts.path:
        sys.exit(f"journey: SOS_BASE_URL must be http://127.0.0.1:PORT (a loopback address), not {url!r}")
    return url


def uuid7():
    """A UUID version 7 (time-ordered), as the phone app makes its reports' ids."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 9562 variant
    return uuid.UUID(int=value)


def png(width, height):
    """A small RGB PNG: a colour gradient."""
    rows = b"".join(
        b"\x00" + bytes(c for x in range(width) for c in (x * 255 // width, y * 255 // height, 160))
        for y in range(height)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def main():
    url = base_url()
    # No proxy from the environment, no redirect followed: only `url` is contacted.
    options = {"timeout": httpx.Timeout(30.0), "httpx_args": {"trust_env": False}}

    def sign_in(username):
        pair = expect(
            login.sync_detailed(
                client=Client(base_url=url, **options), body=LoginRequest(username=username, password=PASSWORD)
            ),
            200,
        )
        check(pair.access_token and pair.token_type == "Bearer", f"a bearer token for {username}")
        return AuthenticatedClient(base_url=url, token=pair.access_token, **options)

    state = {}

    def head_signs_in():
        state["head"] = sign_in("tnp.kp1")

    def head_previews_the_classification():
        guess = expect(classify_text.sync_detailed(client=state["head"], body=ClassifyTextBody(text=LAMP)), 200)
        check(guess.subcategory == "streetlight", f"classified as a streetlight, not {guess.subcategory}")
        check(guess.category == "infrastructure", f"category infrastructure, not {guess.category}")
        check(not guess.routed_to_triage, "sure enough not to go to the triage desk")

    def head_files_a_report():
        report_id = uuid7()
        body = ReportCreate(id=report_id, description=LAMP, address="Hẻm 12, Khu phố 1")
        filed = expect(create_report.sync_detailed(client=state["head"], body=body), 201)
        check(filed.id == report_id, f"the report keeps the phone's id {report_id}, not {filed.id}")
        check(filed.subcategory == "streetlight", f"subcategory streetlight, not {filed.subcategory}")
        check(filed.status == "assigned", f"routed at once (assigned), not {filed.status}")
        check(filed.department and filed.department.code == "economy_infrastructure", "routed to infrastructure")
        check(filed.photos == [], "no photo")
        again = expect(create_report.sync_detailed(client=state["head"], body=body), 200)
        check(again.id == report_id, "a retry returns the stored report")

    def head_files_a_report_with_a_photo():
        report_id = uuid7()
        report = ReportCreate(
            id=report_id,
            description="Den duong dau hem 12 chap chon roi tat han, ca doan hem toi",
            subcategory=SubcategoryCode.STREETLIGHT,
        )
        photo = File(payload=io.BytesIO(png(32, 24)), file_name="den-hong.png", mime_type="image/png")
        form = ReportCreateWithPhotos(report=report, photo=[photo])
        filed = expect(create_report_with_photos.sync_detailed(client=state["head"], body=form), 201)
        check(filed.id == report_id, f"the report keeps the phone's id {report_id}, not {filed.id}")
        check(filed.department and filed.department.code == "economy_infrastructure", "routed to infrastructure")
        check(len(filed.photos) == 1, f"one photo kept, not {len(filed.photos)}")
        kept = filed.photos[0]
        check(kept.kind == "before" and kept.format_ == "png", f"a before photo in PNG, not {kept.kind} {kept.format_}")
        check((kept.width, kept.height) == (32, 24), f"32×24 pixels, not {kept.width}×{kept.height}")
        state["report_id"] = report_id

    def staff_work_it():
        staff = sign_in("tnp.infra")
        for action, status in [
            (ActionRequest(action=ActionCode.ACKNOWLEDGE), "acknowledged"),
            (ActionRequest(action=ActionCode.START), "in_progress"),
            (ActionRequest(action=ActionCode.RESOLVE, response=ANSWER), "resolved"),
        ]:
            report = expect(act_on_report.sync_detailed(state["report_id"], client=staff, body=action), 200)
            check(report.status == status, f"{action.action}: status {status}, not {report.status}")
        check(report.response == ANSWER, "the answer is the report's response")

    def head_reads_the_inbox():
        page = expect(list_notifications.sync_detailed(client=state["head"], limit=50), 200)
        entries = [n for n in page.items if n.report_id == state["report_id"]]
        types = {n.type_ for n in entries}
        wanted = {"report.assigned", "report.acknowledged", "report.in_progress", "report.resolved"}
        check(wanted <= types, f"every step in the inbox: missing {sorted(wanted - types)}")
        answer = next(n for n in entries if n.type_ == "report.resolved")
        check(ANSWER in answer.body, f"the answer in the entry, not {answer.body!r}")
        read = expect(mark_notification_read.sync_detailed(answer.id, client=state["head"]), 200)
        check(read.read_at is not None, "the entry is marked read")

    def head_closes_it_with_a_rating():
        close = ActionRequest(action=ActionCode.CLOSE, rating=5)
        report = expect(act_on_report.sync_detailed(state["report_id"], client=state["head"], body=close), 200)
        check(report.status == "closed" and report.rating == 5, f"closed, rated 5: {report.status}, {report.rating}")

    def leader_reads_the_figures():
        figures = expect(stats_summary.sync_detailed(client=sign_in("tnp.leader")), 200)
        check(figures.received >= 2, f"both reports received, not {figures.received}")
        check(figures.resolved >= 1, f"one resolved, not {figures.resolved}")
        check(figures.satisfaction.ratings >= 1, f"the rating counted, not {figures.satisfaction.ratings}")

    steps = [
        head_signs_in,
        head_previews_the_classification,
        head_files_a_report,
        head_files_a_report_with_a_photo,
        staff_work_it,
        head_reads_the_inbox,
        head_closes_it_with_a_rating,
        leader_reads_the_figures,
    ]
    for step in steps:
        name = step.__name__.replace("_", " ")
        try:
            step()
        except Failed as failure:
            print(f"journey: FAILED: {name}: {failure}", file=sys.stderr)
            return 1
        except Exception:  # noqa: BLE001 (a transport error, or an answer the client cannot read)
            traceback.print_exc()
            print(f"journey: FAILED: {name} (above)", file=sys.stderr)
            return 1
        print(f"journey: ok: {name}")
    print(f"journey: {len(steps)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

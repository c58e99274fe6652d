"""The whole local stack, as a newcomer starts it: `ccp-local up`, then HTTP, the CLI and boto3."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests

from ccp_local.stack import free_port

pytestmark = pytest.mark.system
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    api_port, lambda_port = free_port(), free_port()
    log = tmp_path_factory.mktemp("stack") / "up.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(BIN / "ccp-local"), "up", "--port", str(api_port), "--lambda-port", str(lambda_port), "--demo-members", "5"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + 120
    while "Press Ctrl-C to stop." not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("ccp-local up did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.3)
    yield {"api": f"http://127.0.0.1:{api_port}", "api_port": api_port, "lambda_port": lambda_port, "log": log}
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def cli(*args):
    return subprocess.run([str(BIN / "ccp-local"), *args], capture_output=True, text=True, timeout=120)


def demo_member(stack):
    line = next(l for l in stack["log"].read_text().splitlines() if "Maria Santos" in l)
    return line.split()[0]


def test_up_prints_where_to_look_and_the_seeded_demo_members(stack):
    text = stack["log"].read_text()
    assert stack["api"] in text and "Demo members" in text and "ccp-local token" in text


def test_a_member_records_ce_over_http_and_sees_progress_and_a_pdf_transcript(stack):
    member_id = demo_member(stack)
    result = cli("token", "--member-id", member_id, "--port", str(stack["api_port"]))
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    base = f"{stack['api']}/members/{member_id}"
    before = requests.get(f"{base}/progress", headers=auth, timeout=30).json()[0]
    body = {"credentials": ["RMA"], "category": "professional_education", "title": "System test course", "points": 3.5,
            "start_date": "2026-11-01", "end_date": "2026-11-01", "attested": True}
    created = requests.post(f"{base}/ce-activities", json=body, headers={**auth, "X-Local-Time": "2026-11-20T15:00:00Z"}, timeout=30)
    assert created.status_code == 201, created.text
    after = requests.get(f"{base}/progress", headers=auth, timeout=30).json()[0]
    assert after["recorded_points"] == before["recorded_points"] + 3.5
    pdf = requests.get(f"{base}/transcript", headers={**auth, "Accept": "application/pdf"}, timeout=30)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_gateway_verifies_tokens_like_the_cognito_authorizer(stack):
    member_id = demo_member(stack)
    url = f"{stack['api']}/members/{member_id}"
    assert requests.get(url, timeout=30).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer not.a.token"}, timeout=30).status_code == 401
    other = cli("token", "--member-id", "SOMEONE_ELSE", "--port", str(stack["api_port"])).stdout.strip().splitlines()[-1]
    assert requests.get(url, headers={"Authorization": f"Bearer {other}"}, timeout=30).status_code == 403
    staff = cli("token", "--staff", "--port", str(stack["api_port"])).stdout.strip().splitlines()[-1]
    assert requests.get(url, headers={"Authorization": f"Bearer {staff}"}, timeout=30).status_code == 200


def test_the_lambda_endpoint_works_with_boto3_and_the_openapi_document_is_served(stack):
    client = boto3.client(
        "lambda", endpoint_url=f"http://127.0.0.1:{stack['lambda_port']}", region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )
    response = client.invoke(FunctionName="CourseCompletedFunction", Payload=json.dumps({"not": "an event"}))
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "InvalidEvent"
    document = requests.get(f"{stack['api']}/_local/openapi.json", timeout=30).json()
    assert document["openapi"].startswith("3.1")
    assert "/members/{member_id}/ce-activities" in document["paths"]
    assert requests.get(f"{stack['api']}/_local/outbox", timeout=30).json() == []

import os

import pytest

# Never reach a real AWS account from tests.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ.pop("AWS_PROFILE", None)
os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "CCP"
os.environ["POWERTOOLS_SERVICE_NAME"] = "tests"
os.environ["POWERTOOLS_DEV"] = "false"


@pytest.fixture
def aws():
    from moto import mock_aws

    with mock_aws():
        yield


# Conditional writes are atomic in DynamoDB; make them so in moto too (see ccp_local.moto_atomic).
from ccp_local.moto_atomic import make_dynamodb_writes_atomic  # noqa: E402

make_dynamodb_writes_atomic()

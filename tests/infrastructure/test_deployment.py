"""What an operator needs on day one, held in the template: gateway errors that stay JSON, CORS for
the portal only, SES with bounce handling and stack-unique names, logs with retention and access
logs without personal data, alarms, protected user pools with MFA for staff, per-client throttling,
queue timeouts, TLS-only buckets with lifecycle rules, and a samconfig that deploys it."""

import json
import re
import tomllib

import pytest

from ccp_local import template as tpl

ROOT = tpl.ROOT
TEMPLATE = tpl.load()
RESOURCES = TEMPLATE["Resources"]
PARAMETERS = TEMPLATE["Parameters"]
FUNCTIONS = tpl.resources(TEMPLATE, "AWS::Serverless::Function")
API = RESOURCES["CcpApi"]["Properties"]


def of_type(type_name: str) -> dict:
    return tpl.resources(TEMPLATE, type_name)


def ref(value) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else None


def getatt(value) -> str | None:
    return value["Fn::GetAtt"][0] if isinstance(value, dict) and "Fn::GetAtt" in value else None


# ---- API Gateway's own answers ---------------------------------------------------------------


def render_gateway_response(template: str, message: str) -> str:
    """As API Gateway renders a gateway response: $context.error.messageString is the message with
    its quotes (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html)."""
    return template.replace("$context.error.messageString", f'"{message}"')


@pytest.mark.parametrize("name", sorted(API["GatewayResponses"]))
def test_every_gateway_response_is_the_api_error_body_in_valid_json_with_the_portals_origin(name):
    response = API["GatewayResponses"][name]
    body = json.loads(
        render_gateway_response(response["ResponseTemplates"]["application/json"], "Invalid request body")
    )
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert re.fullmatch(r"[A-Z_]+", body["error"]["code"])
    assert response["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"] == {"Fn::Sub": "'${PortalOrigin}'"}


def test_the_api_allows_the_portal_origin_only_and_preflights_need_no_token():
    cors = API["Cors"]
    assert cors["AllowOrigin"] == {"Fn::Sub": "'${PortalOrigin}'"}
    assert "*" not in json.dumps(cors)
    assert API["Auth"]["AddDefaultAuthorizerToCorsPreflight"] is False
    assert re.fullmatch(r"\^https\?://\[\^/\]\+\$", PARAMETERS["PortalOrigin"]["AllowedPattern"])
    for name in ("PORTAL_ORIGIN",):
        assert ref(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"][name]) == "PortalOrigin"


def test_the_api_handlers_answer_cors_for_the_portal_origin(monkeypatch):
    import importlib

    from ccp.api import portal_cors

    monkeypatch.setenv("PORTAL_ORIGIN", "https://portal.example.org")
    cors = portal_cors()
    assert cors is not None
    headers = cors.to_dict("https://portal.example.org")
    assert headers["Access-Control-Allow-Origin"] == "https://portal.example.org"
    assert "Access-Control-Allow-Origin" not in cors.to_dict("https://evil.example.org")
    for module in ("record_ce.handler", "renewals.billing_api", "recertify.handler"):
        assert "portal_cors()" in importlib.util.find_spec(module).loader.get_source(module)


def test_both_user_pools_reach_the_api_through_one_authorizer():
    arns = API["Auth"]["Authorizers"]["CognitoAuthorizer"]["UserPoolArn"]
    assert {getatt(a) for a in arns} == {"UserPool", "StaffUserPool"}


# ---- identity ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pool", ["UserPool", "StaffUserPool"])
def test_user_pools_survive_a_deleted_or_replaced_stack(pool):
    resource = RESOURCES[pool]
    assert resource["DeletionPolicy"] == "Retain" and resource["UpdateReplacePolicy"] == "Retain"
    assert resource["Properties"]["DeletionProtection"] == "ACTIVE"
    assert resource["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_staff_sign_in_with_a_second_factor_and_only_the_staff_pool_has_the_staff_group():
    staff = RESOURCES["StaffUserPool"]["Properties"]
    assert staff["MfaConfiguration"] == "ON" and staff["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    groups = of_type("AWS::Cognito::UserPoolGroup")
    assert {ref(g["Properties"]["UserPoolId"]) for g in groups.values()} == {"StaffUserPool"}


# ---- email ---------------------------------------------------------------------------------------


def test_the_sender_has_no_placeholder_and_its_identity_is_made_only_when_asked():
    assert "Default" not in PARAMETERS["SenderEmail"]
    assert RESOURCES["SenderIdentity"]["Condition"] == "CreatesSenderIdentity"
    assert TEMPLATE["Conditions"]["CreatesSenderIdentity"] == {"Fn::Equals": [{"Ref": "CreateSenderIdentity"}, "true"]}


def test_bounces_and_complaints_reach_the_function_that_marks_the_address():
    destination = RESOURCES["EmailFeedbackDestination"]["Properties"]
    assert ref(destination["ConfigurationSetName"]) == "EmailConfigurationSet"
    assert set(destination["EventDestination"]["MatchingEventTypes"]) == {"bounce", "complaint"}
    topic = ref(destination["EventDestination"]["SnsDestination"]["TopicARN"])
    events = FUNCTIONS["EmailFeedbackFunction"]["Properties"]["Events"]
    assert [ref(e["Properties"]["Topic"]) for e in events.values() if e["Type"] == "SNS"] == [topic]
    # Every send goes through the configuration set.
    assert ref(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["EMAIL_CONFIGURATION_SET"]) == (
        "EmailConfigurationSet"
    )


def test_email_templates_are_named_after_the_stack_so_two_stacks_never_share_one():
    for resource in of_type("AWS::SES::Template").values():
        assert resource["Properties"]["Template"]["TemplateName"]["Fn::Sub"].startswith("${AWS::StackName}-")
    for spec in tpl.functions():
        if "EMAIL_TEMPLATE_PREFIX" in spec.environment:
            assert spec.environment["EMAIL_TEMPLATE_PREFIX"] == {"Fn::Sub": "${AWS::StackName}-"}


# ---- logs ---------------------------------------------------------------------------------------


def test_every_function_logs_to_a_group_with_retention():
    logging = TEMPLATE["Globals"]["Function"]["LoggingConfig"]
    assert ref(logging["LogGroup"]) == "FunctionLogs"
    for name in ("FunctionLogs", "ApiAccessLogs"):
        assert ref(RESOURCES[name]["Properties"]["RetentionInDays"]) == "LogRetentionDays"
    assert not any("LoggingConfig" in f["Properties"] for f in FUNCTIONS.values())  # none opts out


def test_api_access_logs_record_who_did_what_without_personal_data():
    setting = API["AccessLogSetting"]
    assert getatt(setting["DestinationArn"]) == "ApiAccessLogs"
    fields = json.loads(setting["Format"])
    assert fields["caller"] == "$context.authorizer.claims.sub"  # a pseudonymous id, not a name or email
    assert {"requestId", "time", "method", "route", "status"} <= set(fields)
    personal = ("sourceIp", "email", "name", "userAgent", "$context.path", "requestOverride", "body")
    assert not [f for f in fields.values() for word in personal if word in f]


# ---- alarms -------------------------------------------------------------------------------------


def alarm_metrics(alarm: dict) -> list[dict]:
    props = alarm["Properties"]
    if "Metrics" in props:
        return [m["MetricStat"]["Metric"] for m in props["Metrics"] if "MetricStat" in m]
    return [
        {"Namespace": props["Namespace"], "MetricName": props["MetricName"], "Dimensions": props.get("Dimensions", [])}
    ]


ALARMS = of_type("AWS::CloudWatch::Alarm")
WATCHED = [m for alarm in ALARMS.values() for m in alarm_metrics(alarm)]


def test_every_alarm_tells_the_alarm_topic_and_its_email():
    for alarm in ALARMS.values():
        assert [ref(a) for a in alarm["Properties"]["AlarmActions"]] == ["AlarmTopic"]
    subscription = RESOURCES["AlarmTopic"]["Properties"]["Subscription"]["Fn::If"]
    assert subscription[0] == "HasAlarmEmail" and ref(subscription[1][0]["Endpoint"]) == "AlarmEmail"


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_errors_and_throttles_of_every_function_are_watched(metric):
    watched = {ref(m["Dimensions"][0]["Value"]) for m in WATCHED if m["MetricName"] == metric}
    assert watched == set(FUNCTIONS)


def test_every_asynchronously_invoked_function_keeps_the_events_it_failed():
    """Scheduler, EventBridge and SNS invoke asynchronously: an event that fails Lambda's retries goes to a
    dead-letter queue (watched, above) instead of vanishing."""
    asynchronous = {"ScheduleV2", "Schedule", "EventBridgeRule", "SNS", "CloudWatchEvent"}
    for name, function in FUNCTIONS.items():
        kinds = {e["Type"] for e in function["Properties"].get("Events", {}).values()}
        if kinds & asynchronous:
            assert getatt(function["Properties"]["DeadLetterQueue"]["TargetArn"]) == "AsyncFailuresQueue", name


def test_every_dead_letter_queue_is_watched():
    dead_letter = {
        getatt(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in of_type("AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    }
    for function in FUNCTIONS.values():
        if "DeadLetterQueue" in function["Properties"]:  # an asynchronously invoked function's failed events
            dead_letter.add(getatt(function["Properties"]["DeadLetterQueue"]["TargetArn"]))
        for event in function["Properties"].get("Events", {}).values():
            if "DeadLetterConfig" in event["Properties"]:
                dead_letter.add(getatt(event["Properties"]["DeadLetterConfig"]["Arn"]))
            on_failure = event["Properties"].get("DestinationConfig", {}).get("OnFailure")
            if on_failure:  # a stream's records that failed every retry
                dead_letter.add(getatt(on_failure["Destination"]))
    watched = {
        getatt(m["Dimensions"][0]["Value"]) for m in WATCHED if m["MetricName"] == "ApproximateNumberOfMessagesVisible"
    }
    assert dead_letter and watched == dead_letter


def test_the_api_5xx_rate_and_parked_notices_are_watched():
    assert any(m["Namespace"] == "AWS/ApiGateway" and m["MetricName"] == "5XXError" for m in WATCHED)
    parked = next(m for m in WATCHED if m["MetricName"] == "NoticesParked")
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert parked["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"]
    service = FUNCTIONS["RenewalNoticesFunction"]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    assert parked["Dimensions"] == [{"Name": "service", "Value": service}]
    source = (ROOT / "functions" / "renewals" / "jobs_handler.py").read_text()
    assert 'name="NoticesParked"' in source


# ---- throttling, queues, buckets ---------------------------------------------------------------


def test_one_client_cannot_use_the_whole_stage_a_waf_rate_rule_per_ip():
    acl = RESOURCES["ApiWebAcl"]
    verify, rule = acl["Properties"]["Rules"][:2]
    assert rule["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert ref(rule["Statement"]["RateBasedStatement"]["Limit"]) == "WafRateLimit"
    # Public verification: a far lower limit per client, so nobody walks the member ids.
    scoped = verify["Statement"]["RateBasedStatement"]
    assert scoped["AggregateKeyType"] == "IP" and scoped["Limit"] <= 100
    assert scoped["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/verify/"
    association = RESOURCES["ApiWebAclAssociation"]
    assert acl["Condition"] == association["Condition"] == "WafEnabled"
    assert "${CcpApi}/stages/v1" in association["Properties"]["ResourceArn"]["Fn::Sub"]


def test_the_api_and_the_portal_have_aws_managed_rules_for_known_bad_inputs():
    def managed(acl):
        return {
            r["Statement"]["ManagedRuleGroupStatement"]["Name"]
            for r in RESOURCES[acl]["Properties"]["Rules"]
            if "ManagedRuleGroupStatement" in r["Statement"]
        }

    assert {"AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"} <= managed("ApiWebAcl")
    assert "AWSManagedRulesKnownBadInputsRuleSet" in managed("PortalWebAcl")
    assert RESOURCES["PortalWebAcl"]["Properties"]["Scope"] == "CLOUDFRONT"
    # CloudFront takes only us-east-1 web ACLs: made there, or named by PortalWebAclArn elsewhere.
    assert RESOURCES["PortalWebAcl"]["Condition"] == "CreatesPortalWebAcl"
    web_acl = RESOURCES["PortalDistribution"]["Properties"]["DistributionConfig"]["WebACLId"]["Fn::If"]
    assert web_acl[0] == "CreatesPortalWebAcl" and web_acl[2]["Fn::If"][1] == {"Ref": "PortalWebAclArn"}


def test_buckets_and_the_portal_distribution_keep_access_logs_in_a_private_log_bucket_that_expires_them():
    for bucket in ("DocumentsBucket", "MailBatchesBucket", "PortalBucket"):
        logging = RESOURCES[bucket]["Properties"]["LoggingConfiguration"]
        assert ref(logging["DestinationBucketName"]) == "AccessLogsBucket"
        assert logging["LogFilePrefix"].startswith("s3/"), bucket
    logs = RESOURCES["AccessLogsBucket"]["Properties"]
    assert all(logs["PublicAccessBlockConfiguration"].values())
    expiring = {
        r["Prefix"]: ref(r["ExpirationInDays"]) for r in logs["LifecycleConfiguration"]["Rules"] if "Prefix" in r
    }
    assert expiring == {"s3/": "AccessLogDays", "cloudfront/": "AccessLogDays"}
    cloudfront = RESOURCES["PortalDistribution"]["Properties"]["DistributionConfig"]["Logging"]
    assert getatt(cloudfront["Bucket"]) == "AccessLogsBucket"
    statements = RESOURCES["AccessLogsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert {s["Sid"] for s in statements} == {"S3ServerAccessLogsFromThisAccount", "TlsOnly"}


def test_members_personal_data_and_the_credentials_are_under_the_programs_own_rotated_key():
    key = RESOURCES["DataKey"]
    assert key["Properties"]["EnableKeyRotation"] is True and key["DeletionPolicy"] == "Retain"
    sse = RESOURCES["CcpTable"]["Properties"]["SSESpecification"]
    assert (sse["SSEType"], ref(sse["KMSMasterKeyId"])) == ("KMS", "DataKey")
    for secret in ("PaymentsSecret", "CredlySecret"):
        assert ref(RESOURCES[secret]["Properties"]["KmsKeyId"]) == "DataKey"
    [_, use] = key["Properties"]["KeyPolicy"]["Statement"]
    assert set(use["Condition"]["StringEquals"]) == {"kms:CallerAccount", "kms:ViaService"}


def test_every_checkov_suppression_names_a_check_and_gives_a_reason():
    skips = [
        (name, skip)
        for name, resource in RESOURCES.items()
        for skip in (resource.get("Metadata") or {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for name, skip in skips:
        assert re.fullmatch(r"CKV_AWS_\d+", skip["id"]), name
        assert len(skip["comment"]) > 40, (name, skip["id"])


def test_every_queue_hides_a_message_for_six_times_its_functions_timeout():
    default = TEMPLATE["Globals"]["Function"]["Timeout"]
    for source in tpl.queue_sources():
        timeout = FUNCTIONS[source.function]["Properties"].get("Timeout", default)
        visibility = RESOURCES[source.queue]["Properties"]["VisibilityTimeout"]
        assert visibility >= 6 * timeout, (source.queue, visibility, timeout)


@pytest.mark.parametrize("bucket", sorted(of_type("AWS::S3::Bucket")))
def test_every_bucket_refuses_plain_http_and_expires_what_it_keeps_by_prefix(bucket):
    policies = [p for p in of_type("AWS::S3::BucketPolicy").values() if ref(p["Properties"]["Bucket"]) == bucket]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    rules = RESOURCES[bucket]["Properties"]["LifecycleConfiguration"]["Rules"]
    if bucket == "PortalBucket":  # its current files are the site: only replaced versions expire
        assert all(r["Prefix"] == "portal/" and "ExpirationInDays" not in r for r in rules)
        assert any(r.get("NoncurrentVersionExpiration") for r in rules)
    else:
        assert any(r.get("Prefix") and r.get("ExpirationInDays") for r in rules)
    assert any("AbortIncompleteMultipartUpload" in r for r in rules)


# ---- the portal ------------------------------------------------------------------------------


def test_the_portal_is_served_by_cloudfront_from_a_private_bucket_only_it_reads():
    bucket = RESOURCES["PortalBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    policy = RESOURCES["PortalBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    reads = next(s for s in policy if s["Effect"] == "Allow")
    assert reads["Principal"] == {"Service": "cloudfront.amazonaws.com"} and reads["Action"] == "s3:GetObject"
    assert "${PortalDistribution}" in reads["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    config = RESOURCES["PortalDistribution"]["Properties"]["DistributionConfig"]
    origin = config["Origins"][0]
    assert getatt(origin["OriginAccessControlId"]) == "PortalOriginAccess"
    assert getatt(origin["DomainName"]) == "PortalBucket"
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    assert ref(behaviour["ResponseHeadersPolicyId"]) == "PortalHeaders"


def test_cloudfront_maps_the_page_addresses_to_the_files_the_local_gateway_serves():
    from ccp_local.portal import PAGES, PORTAL_DIR

    code = RESOURCES["PortalPages"]["Properties"]["FunctionCode"]
    mapped = json.loads(re.search(r"var PAGES = (\{.*?\});", code, re.S).group(1))
    assert mapped == {f"/portal/{page}": f"/portal/{file}" for page, file in PAGES.items()}
    assert all((PORTAL_DIR / file).is_file() for file in PAGES.values())


def test_the_portal_runs_only_its_own_scripts_and_talks_only_to_the_api_cognito_and_s3():
    headers = RESOURCES["PortalHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    policy = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert "https://cognito-idp.${AWS::Region}.amazonaws.com" in directives["connect-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000


def test_the_local_gateway_sends_the_portal_the_security_headers_cloudfront_sends():
    """One definition (the template's policy): locally only the AWS origins become the embedded AWS."""
    from ccp_local.portal import PortalFiles, security_headers

    local = security_headers(TEMPLATE, region="us-east-1", aws_endpoint="http://127.0.0.1:5000")
    headers = RESOURCES["PortalHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    deployed = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    local_directives = dict(d.strip().split(" ", 1) for d in local["Content-Security-Policy"].split(";"))
    deployed_directives = dict(d.strip().split(" ", 1) for d in deployed.split(";"))
    assert local_directives.keys() == deployed_directives.keys()
    for name, sources in deployed_directives.items():
        if name != "connect-src":
            assert local_directives[name] == sources, name
    assert local_directives["connect-src"] == "'self' http://127.0.0.1:5000"
    assert (local["X-Frame-Options"], local["X-Content-Type-Options"]) == ("DENY", "nosniff")
    assert local["Referrer-Policy"] == headers["ReferrerPolicy"]["ReferrerPolicy"]
    assert local["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    files = PortalFiles({}, headers=local)
    for path in ("/portal/", "/portal/js/app.js", "/portal/config.json", "/portal/missing.js"):
        status, answer, _ = files.get(path)
        assert answer["Content-Security-Policy"] == local["Content-Security-Policy"], (path, status)


def test_members_sign_in_from_the_portal_by_member_id_or_email():
    pool = RESOURCES["UserPool"]["Properties"]
    assert "UsernameAttributes" not in pool and pool["AliasAttributes"] == ["email"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert "{username}" in pool["AdminCreateUserConfig"]["InviteMessageTemplate"]["EmailMessage"]["Fn::Sub"]
    assert "{####}" in pool["AdminCreateUserConfig"]["InviteMessageTemplate"]["EmailMessage"]["Fn::Sub"]
    for client in ("UserPoolClient", "StaffUserPoolClient"):
        flows = RESOURCES[client]["Properties"]["ExplicitAuthFlows"]
        assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= set(flows)
        assert RESOURCES[client]["Properties"]["GenerateSecret"] is False  # a page keeps no secret


def test_logins_hide_who_exists_change_email_only_once_verified_and_expire_as_chosen():
    for pool in ("UserPool", "StaffUserPool"):
        settings = RESOURCES[pool]["Properties"]["UserAttributeUpdateSettings"]
        assert settings["AttributesRequireVerificationBeforeUpdate"] == ["email"], pool
    staff = RESOURCES["StaffUserPool"]["Properties"]
    assert staff["UserPoolTier"] == "PLUS" and staff["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    refresh = {}
    for client in ("UserPoolClient", "StaffUserPoolClient"):
        props = RESOURCES[client]["Properties"]
        assert props["PreventUserExistenceErrors"] == "ENABLED" and props["EnableTokenRevocation"] is True
        assert props["TokenValidityUnits"]["IdToken"] == "minutes" and props["IdTokenValidity"] <= 60
        refresh[client] = (props["RefreshTokenValidity"], props["TokenValidityUnits"]["RefreshToken"])
    assert refresh == {"UserPoolClient": (30, "days"), "StaffUserPoolClient": (12, "hours")}


def test_the_published_config_names_what_the_local_one_does():
    import importlib.util

    from ccp_local.portal import portal_config

    spec = importlib.util.spec_from_file_location("publish_portal", ROOT / "infra" / "publish_portal.py")
    publish = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(publish)
    outputs = {"ApiUrl": "https://a.example/v1", "UserPoolClientId": "m", "StaffUserPoolClientId": "s"}
    published = publish.config(outputs, "eu-west-1")
    local = portal_config(api_url="", cognito_url="http://x", region="us-east-1", client_id="m", staff_client_id="s")
    assert set(published) == set(local)
    assert published["cognito_url"] == "https://cognito-idp.eu-west-1.amazonaws.com/"
    assert {"PortalBucketName", "PortalDistributionId", "PortalDistributionUrl"} <= set(TEMPLATE["Outputs"])


def test_every_portal_module_is_type_checked_and_the_checks_settings_are_never_published():
    import importlib.util

    modules = sorted((ROOT / "portal" / "js").rglob("*.js"))
    assert modules and [m.name for m in modules if not m.read_text().startswith("// @ts-check\n")] == []
    spec = importlib.util.spec_from_file_location("publish_portal", ROOT / "infra" / "publish_portal.py")
    publish = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(publish)
    published = {p.relative_to(ROOT / "portal").as_posix() for p in publish.portal_files()}
    assert "jsconfig.json" not in published and {"index.html", "js/api.js", "staff/index.html"} <= published


# ---- deploying -------------------------------------------------------------------------------


def test_samconfig_deploys_each_stage_with_the_templates_parameters():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for stage in ("dev", "prod"):
        deploy = config[stage]["deploy"]["parameters"]
        assert deploy["capabilities"] == "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"
        given = dict(re.findall(r'(\w+)="([^"]*)"', deploy["parameter_overrides"]))
        assert set(given) <= set(PARAMETERS), set(given) - set(PARAMETERS)
        assert {"Stage", "SenderEmail", "PortalOrigin", "AlarmEmail", "EnableWaf"} <= set(given)
        assert given["Stage"] == stage


def test_the_outputs_name_what_an_operator_sets_up_next():
    assert {
        "ApiUrl",
        "PortalUrl",
        "UserPoolId",
        "StaffUserPoolId",
        "PaymentsSecretArn",
        "CredlySecretArn",
        "PaymentWebhookUrl",
        "AlarmTopicArn",
    } <= set(TEMPLATE["Outputs"])


def test_every_daily_schedule_is_a_job_that_catches_up_at_the_time_staff_are_shown():
    """The template's daily schedules are the jobs of ccp.rules.jobs.DAILY_JOBS (their ledger names and
    GET /staff/jobs), at the same Chicago times, and an alarm fires when one falls a day behind."""
    from ccp.rules.jobs import DAILY_JOBS

    scheduled = {}
    for function in FUNCTIONS.values():
        props = function["Properties"]
        for event in props.get("Events", {}).values():
            if event["Type"] != "ScheduleV2" or not event["Properties"]["ScheduleExpression"].endswith("* * ? *)"):
                continue
            assert event["Properties"]["ScheduleExpressionTimezone"] == "America/Chicago"
            minute, hour = event["Properties"]["ScheduleExpression"][5:].split()[:2]
            handler = props["Handler"].rsplit(".", 1)[-1]
            job = "audit_expiry" if handler == "lambda_handler" else handler
            scheduled[job] = f"{int(hour):02d}:{int(minute):02d}"
    assert scheduled == DAILY_JOBS
    alarm = RESOURCES["JobsBehindAlarm"]["Properties"]
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert names == {"JobDaysBehind"} and alarm["TreatMissingData"] == "breaching" and alarm["Threshold"] == 1

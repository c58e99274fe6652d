from datetime import UTC, datetime


def ce_body(**overrides):
    body = {
        "credentials": ["RMA"],
        "category": "professional_education",
        "title": "Infection control",
        "provider": "Red Cross",
        "points": 5,
        "start_date": "2026-01-10",
        "end_date": "2026-01-10",
        "attested": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class MemberApi:
    """The member routes of one member, through the real handler."""

    def __init__(self, api, member_id, claims):
        self.api, self.member_id, self.claims = api, member_id, claims

    def call(self, method, suffix="", *, claims=None, **kwargs):
        resource = "/members/{member_id}" + _template(suffix)
        return self.api.call(
            method, resource, f"/members/{self.member_id}{suffix}", claims=claims or self.claims, **kwargs
        )

    def record(self, **kwargs):
        body = kwargs.pop("body", None) or ce_body(**{k: v for k, v in kwargs.items() if k not in ("at", "headers")})
        extra = {k: kwargs[k] for k in ("at", "headers") if k in kwargs}
        return self.call("POST", "/ce-activities", body=body, **extra)

    def progress(self, credential="RMA"):
        response = self.call("GET", "/progress")
        assert response["statusCode"] == 200, response
        return next(p for p in response["json"] if p["credential"] == credential)


def _template(suffix: str) -> str:
    path = suffix.split("?", maxsplit=1)[0]
    parts = path.split("/")
    if len(parts) == 3 and parts[1] == "ce-activities":
        return "/ce-activities/{activity_id}"
    return path

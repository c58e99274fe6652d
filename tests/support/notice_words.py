"""Every notice's words, where they live: the SES templates of infra/template.yaml (letters print the
same subject and text). The in-memory mailer reads them from here, so letters and rendering tests in
`make unit` carry the words members get."""

from __future__ import annotations

from functools import cache

from ccp_local.template import load, resources


@cache
def ses_words() -> dict[str, dict[str, str]]:
    """Kind (the template name after the stack's prefix) -> its subject, text and HTML parts."""
    words = {}
    for resource in resources(load(), "AWS::SES::Template").values():
        template = resource["Properties"]["Template"]
        kind = template["TemplateName"]["Fn::Sub"].split("}-", 1)[1]
        words[kind] = {"subject": template["SubjectPart"], "text": template["TextPart"], "html": template["HtmlPart"]}
    return words

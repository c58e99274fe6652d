"""The data layer: the only code that talks to DynamoDB (and, later, SES and S3)."""

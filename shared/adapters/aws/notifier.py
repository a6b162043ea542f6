"""The AWS notifier: e-mail through SES (``SendEmail`` with the stage's configuration set, so
bounces, complaints and deliveries are recorded), SMS through SNS ``Publish`` to a phone number
(transactional), and mobile push through SNS ``Publish`` to a platform endpoint's ARN.

A refusal that retrying cannot change (an address SES rejects, a disabled endpoint, a bad
parameter) is a permanent ``SendFailed``; throttling, timeouts and other errors are retried.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.ports import MessageReference, SendFailed

PERMANENT_ERRORS = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "InvalidParameterValue",
        "InvalidParameter",
        "EndpointDisabled",
        "NotFound",
        "InvalidParameterException",
    }
)


class AwsNotifier:
    def __init__(
        self,
        *,
        ses: Any,
        sns: Any,
        sender: str,
        configuration_set: str | None,
        sms_sender_id: str | None = None,
    ) -> None:
        self._ses = ses
        self._sns = sns
        self._sender = sender
        self._configuration_set = configuration_set
        self._sms_sender_id = sms_sender_id

    def send_email(self, to: str, subject: str, text: str, *, reference: MessageReference) -> str:
        request: dict[str, Any] = {
            "Source": self._sender,
            "Destination": {"ToAddresses": [to]},
            "Message": {
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
            },
            "Tags": [{"Name": "notification", "Value": str(reference.notification_id)}],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return self._call(lambda: self._ses.send_email(**request))

    def send_sms(self, phone: str, text: str, *, reference: MessageReference) -> str:
        attributes = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            "notification": {"DataType": "String", "StringValue": str(reference.notification_id)},
        }
        if self._sms_sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {
                "DataType": "String",
                "StringValue": self._sms_sender_id,
            }
        return self._call(
            lambda: self._sns.publish(PhoneNumber=phone, Message=text, MessageAttributes=attributes)
        )

    def send_push(
        self, endpoint_arn: str, title: str, text: str, *, reference: MessageReference
    ) -> str:
        # One message per platform: FCM shows notification.title/body, APNs alert.title/body.
        fcm = {"notification": {"title": title, "body": text}}
        apns = {"aps": {"alert": {"title": title, "body": text}}}
        message = {
            "default": text,
            "GCM": json.dumps(fcm),
            "APNS": json.dumps(apns),
            "APNS_SANDBOX": json.dumps(apns),
        }
        return self._call(
            lambda: self._sns.publish(
                TargetArn=endpoint_arn,
                Message=json.dumps(message),
                MessageStructure="json",
                MessageAttributes={
                    "notification": {
                        "DataType": "String",
                        "StringValue": str(reference.notification_id),
                    }
                },
            )
        )

    @staticmethod
    def _call(send: Any) -> str:
        try:
            response = send()
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "ClientError"))
            message = str(error.response.get("Error", {}).get("Message", ""))
            raise SendFailed(f"{code}: {message}", permanent=code in PERMANENT_ERRORS) from error
        except BotoCoreError as error:
            raise SendFailed(f"{type(error).__name__}: {error}") from error
        return str(response["MessageId"])

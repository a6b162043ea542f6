"""On the embedded default notifications land in the local outbox, which ``fluxo notifications
list`` prints; ``deliver`` runs the sweep and ``failed`` lists what could not be sent."""

from __future__ import annotations

import subprocess
from uuid import UUID, uuid4

from shared.adapters.local.notifier import LocalOutboxNotifier, outbox_messages
from shared.bootstrap import bootstrap
from shared.domain.access import Principal, Role
from shared.services.workspaces import NewWorkspace
from tests.integration.notifications.conftest import alert
from tests.integration.test_cli import fluxo_environment, fluxo_executable
from tests.support.api import Actor


def _fluxo(settings, *args: str) -> subprocess.CompletedProcess[str]:
    environment = fluxo_environment(
        settings.home, FLUXO_DATABASE_URL=settings.resolved_database_url
    )
    return subprocess.run(
        [fluxo_executable(), "notifications", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_an_alert_lands_in_the_local_outbox_and_the_cli_lists_it(settings, dev_issuer):
    container = bootstrap(settings, dev_issuer=dev_issuer)
    try:
        assert isinstance(container.notifier, LocalOutboxNotifier)
        user_id = uuid4()
        principal = Principal(user_id, None, frozenset({Role.OWNER}), email="carla@example.com")
        view, _ = container.workspaces.create(principal, NewWorkspace(name="Casa da Carla"))
        actor = Actor(None, "", user_id, str(view.tenant.id))  # type: ignore[arg-type]
        container.consumer_runner.apply(container.notifications.consumer, alert(actor))
        (message,) = outbox_messages(container.db, user_id=user_id, limit=10)
        assert (message.channel, message.address) == ("email", "carla@example.com")
        assert message.tenant_id == UUID(str(view.tenant.id))
    finally:
        container.close()

    listed = _fluxo(settings, "list", "--user", str(user_id))
    assert listed.returncode == 0, listed.stderr
    assert "email  carla@example.com" in listed.stdout
    assert "Orçamento Mercado: 80% do limite atingido" in listed.stdout
    assert "R$ 1.234,56 de R$ 1.000,00" in listed.stdout

    nobody = _fluxo(settings, "list", "--user", str(uuid4()))
    assert "the local outbox is empty" in nobody.stdout

    delivered = _fluxo(settings, "deliver")
    assert delivered.returncode == 0, delivered.stderr
    assert delivered.stdout.strip() == "sent 0, retrying 0, deferred 0, failed 0"
    failed = _fluxo(settings, "failed")
    assert "no failed notifications" in failed.stdout

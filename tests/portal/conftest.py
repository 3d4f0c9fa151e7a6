"""What the shell's tests share: a real SMTP server on loopback that the portal sends to."""

import pytest

from tests.mailbox import Mailbox


@pytest.fixture
def mailbox():
    box = Mailbox()
    box.start()
    yield box
    box.stop()

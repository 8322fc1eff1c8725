"""An offline stand-in for WeChat: the HTTP APIs we call, plus a simulated member's phone.

Start it with ``python -m server.wechat.emulator --port 8900``; use it in tests through
``server.wechat.emulator.testing.running_emulator``.
"""

from server.wechat.emulator.app import create_emulator_app, emulator_state
from server.wechat.emulator.state import DeliveredMessage, EmulatorState

__all__ = ["DeliveredMessage", "EmulatorState", "create_emulator_app", "emulator_state"]

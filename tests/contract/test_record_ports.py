"""The record-port contract, for the memory port and both connectors (see conftest)."""

from couplet.testing.port_contract import RecordPortContract


class TestRecordPorts(RecordPortContract):
    pass

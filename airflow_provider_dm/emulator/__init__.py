"""The protocol emulator: a real HTTP server speaking the Instagram Direct private API.

`Emulator` (in `server`) serves it; `EmulatorControl` (in `control`) drives its admin API.
A section sign in this package (§9.1) cites `docs/protocol.md`, the project's reference of
the wire protocol.
"""

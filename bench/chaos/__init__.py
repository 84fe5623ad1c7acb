"""`make chaos`: the fault drill, run for real on this machine.

Real nginx (the production files in deploy/nginx) in front of two gateway copies under uvicorn, the inference
server, a PostgreSQL and a Redis of the drill's own, a fake SMS provider and a fake Graph API (HTTP servers that
record what they are sent). Simulated patients talk through nginx, each delivery carrying its id and retried with
that id until it is acknowledged, as n8n and Meta do, while faults are set off at set times. What was stored and
sent is then read from the drill's Postgres and the fake Graph API's record, never from the gateway's word.

- `stack`: start, kill, restart and stop each part;
- `faults`: the schedule and what each fault does;
- `load`: the patients and what each of their deliveries went through;
- `accounting`: the figures, from the client's record and the ground truth;
- `report`: the printed table, bench/CHAOS.md and its PNG.
"""

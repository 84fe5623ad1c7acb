"""The dialog's flows, one job per module, run by `gateway.conversation.dialog.Dialog`.

`common` holds what every flow speaks (the turn, the outcome, the clinic, the settings); `verification` checks who
writes and registers phones the clinic does not know; `booking` finds a free slot (for a booking or a move);
`changes` picks the appointment to cancel or move; `confirmation` asks for the "sí" and makes the change;
`listing` shows the patient's appointments; `slots` is the policy that picks which free slots to offer;
`questions` answers questions about the clinic from its data.
"""

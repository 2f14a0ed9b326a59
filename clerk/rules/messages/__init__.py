"""Rules about messages in and out: whether a sender is who they say (:mod:`.sender_auth`),
whether clerk answers an automatic message (:mod:`.acknowledgement`), how fast mail goes out
(:mod:`.send_pace`), and making text from outside safe to echo (:mod:`.text_safety`)."""

"""Reading what a person wrote in their own words: which part of a reply is the answer
(:mod:`.answer_text`) and what it means (:mod:`.language`)."""

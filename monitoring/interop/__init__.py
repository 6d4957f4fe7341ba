"""How the clinic's other systems read our records and send theirs in (FHIR R4, HL7 v2)."""

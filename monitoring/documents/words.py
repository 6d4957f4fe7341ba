"""The written schedule in the patient's words, not the form's. Pure: no Django."""

# What each planned test is for, in words for the patient (the recheck's own purpose is
# written for staff).
FOR_THE_PATIENT = {
    "baseline": "Blood tests before your first injection, to confirm why your B12 is low.",
    "potassium_48h": "Checks your potassium, which can drop in the first days of treatment.",
    "retics_day7": "Shows whether your body has started making new red blood cells.",
    "fbc_8w": "Checks that your blood count is back to normal.",
    "symptom_review_3m": "A review of how you feel: tiredness and nerve symptoms.",
    "fbc_yearly": "A yearly check of your blood count.",
    "serum_b12": "Checks your vitamin B12 level.",
}

# What each planned test is called on the patient's copy; the recheck's title is for staff.
TITLE_FOR_THE_PATIENT = {
    "baseline": "Blood tests before treatment",
    "potassium_48h": "Potassium blood test",
    "retics_day7": "Blood test for new red blood cells, about a week in",
    "fbc_8w": "Blood count at 8 weeks",
    "symptom_review_3m": "How you feel: review at 3 months",
    "fbc_yearly": "Yearly blood count",
    "serum_b12": "Vitamin B12 level",
}

# Why the injections, as the patient would say it; the form's label is for clinicians.
CAUSE_FOR_PATIENT = {
    "pernicious_anaemia": "Your body cannot absorb vitamin B12 from food (pernicious anaemia).",
    "malabsorption": "Your gut cannot absorb enough vitamin B12 from food.",
    "dietary": "Not enough vitamin B12 in your diet.",
    "medication": "A medicine you take lowers your vitamin B12.",
    "nitrous_oxide": "Nitrous oxide (laughing gas) has used up your vitamin B12.",
    "other": "Low vitamin B12.",
    "unknown": "Low vitamin B12; the cause is still being looked into.",
}
# The causes that do not go away: maintenance is lifelong (clinical-reference.md §7).
FOR_LIFE = frozenset({"pernicious_anaemia", "malabsorption"})

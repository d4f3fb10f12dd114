"""Fixed lists for recording people: 2021 census ethnicity, sex, officer-observed codes.

"Not stated" (the person chose not to say) and an empty value (nobody asked:
"not recorded") are different answers, and the evaluation keeps them apart.
"""

from __future__ import annotations

NOT_STATED = "Not stated"

ETHNICITY_2021 = (
    "Asian or Asian British: Bangladeshi",
    "Asian or Asian British: Chinese",
    "Asian or Asian British: Indian",
    "Asian or Asian British: Pakistani",
    "Asian or Asian British: Other Asian",
    "Black, Black British, Caribbean or African: African",
    "Black, Black British, Caribbean or African: Caribbean",
    "Black, Black British, Caribbean or African: Other Black",
    "Mixed or Multiple: White and Asian",
    "Mixed or Multiple: White and Black African",
    "Mixed or Multiple: White and Black Caribbean",
    "Mixed or Multiple: Other Mixed or Multiple",
    "White: English, Welsh, Scottish, Northern Irish or British",
    "White: Irish",
    "White: Gypsy or Irish Traveller",
    "White: Roma",
    "White: Other White",
    "Other ethnic group: Arab",
    "Other ethnic group: Any other ethnic group",
    NOT_STATED,
)

OFFICER_OBSERVED = (
    "IC1 White (North European)",
    "IC2 White (South European)",
    "IC3 Black",
    "IC4 Asian",
    "IC5 Chinese, Japanese or other South East Asian",
    "IC6 Arab or North African",
    "IC9 Unknown",
)

SEX = ("Female", "Male", "Other", NOT_STATED)

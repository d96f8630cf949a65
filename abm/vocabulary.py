"""The domain's fixed vocabularies: household types, tenures, need categories, shared-space kinds.

Integer codes index the household arrays; names are what configs, CSV files
and outputs use.
"""

HOUSEHOLD_TYPES = (
    "elderly_alone",
    "elderly_couple",
    "family_children",
    "single_parent",
    "single_adult",
    "young_sharers",
    "new_migrant",
)
TYPE_CODE = {name: i for i, name in enumerate(HOUSEHOLD_TYPES)}

#: erp = public housing (ACER), ers = permanent-rent social housing, coop = residents' cooperative,
#: private = private rental, owner = owner-occupied.
TENURES = ("erp", "ers", "coop", "private", "owner")
TENURE_CODE = {name: i for i, name in enumerate(TENURES)}
#: tenures whose vacancies are let from a waiting list rather than the open market
SOCIAL_TENURES = ("erp", "ers", "coop")

NEED_CATEGORIES = ("care", "childcare", "errands", "paperwork", "repairs", "company")

SPACE_KINDS = ("courtyard", "common_room", "laundry", "garden", "tool_library", "other")

#: who runs a shared space; "none" means unmanaged (crowding creates friction)
MANAGERS = ("none", "residents_coop", "community_coop", "portierato", "municipality")

ORIGINS = ("italian", "european", "african", "asian", "latin_american")

#: need outcomes, in the order of the channels a need goes through in a week (kin outside the neighbourhood,
#: neighbours, formal services, paid help, the household's own resources); "unmet" after every channel
OUTCOMES = ("met_kin", "met_neighbour", "met_service", "met_market", "met_own", "unmet")

#: who pays a lever's running cost: the municipality, ACER, ASP, SIEG compensation for public-service
#: obligations, a metropolitan ERS fund, foundations and banks, and residents (members' and users' fees)
PAYERS = ("municipality", "acer", "asp", "sieg", "ers_fund", "foundations", "residents")

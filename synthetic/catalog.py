"""Fixed catalogues of the simulated business: segments, plans, prices, features, texts."""

from __future__ import annotations

SEGMENTS = ("self_serve", "smb", "mid_market", "enterprise")
SEGMENT_SHARES = (0.40, 0.30, 0.20, 0.10)

PLANS = ("starter", "growth", "pro", "enterprise")
# Per-seat list prices per month in minor units; annual prices are 10 months (two months free).
PRICE_PER_SEAT_MONTH = {
    "usd": (2900, 5900, 9900, 19900),
    "eur": (2700, 5500, 9200, 18500),
    "gbp": (2300, 4700, 7900, 15900),
}
CURRENCIES = ("usd", "eur", "gbp")
CURRENCY_SHARES = (0.90, 0.06, 0.04)
# Rate to USD on day 0 and the daily volatility of its log random walk.
FX_START = {"eur": 1.08, "gbp": 1.27}
FX_DAILY_SIGMA = 0.004
ANNUAL_MONTHS_BILLED = 10

PLAN_CONVERSATION_LIMIT = (300, 1000, 3000, 10000)

# Initial plan distribution per segment (rows: segment, columns: plan).
PLAN_BY_SEGMENT = (
    (0.65, 0.35, 0.00, 0.00),
    (0.25, 0.55, 0.20, 0.00),
    (0.00, 0.30, 0.60, 0.10),
    (0.00, 0.00, 0.35, 0.65),
)
ANNUAL_SHARE_BY_SEGMENT = (0.10, 0.25, 0.50, 0.70)
TRIAL_SHARE_BY_SEGMENT = (0.85, 0.70, 0.25, 0.10)
TRIAL_DAYS = 14
SEATS_RANGE_BY_SEGMENT = ((1, 3), (3, 10), (10, 40), (30, 150))
# Users per account are a share of seats, capped, so that event volumes stay bounded.
USERS_PER_SEAT = 0.6
MAX_USERS = 40

# Healthy-account conversations per week (the playbook ideal is ~100 for larger accounts).
CONVERSATIONS_PER_WEEK = (15.0, 35.0, 80.0, 110.0)
AUTOMATION_RATE = (0.35, 0.85)

# Starting latent health (beta parameters) and monthly drift per segment.
HEALTH_BETA = ((4.0, 2.4), (4.5, 2.4), (5.0, 2.4), (5.5, 2.3))
HEALTH_DRIFT = (-0.012, -0.006, 0.0, 0.004)
HEALTH_SIGMA = 0.07

FEATURES = (
    "chatbot_builder",
    "live_chat",
    "knowledge_base",
    "analytics_dashboard",
    "whatsapp_channel",
    "crm_integration",
    "ai_assistant",
    "custom_branding",
    "api_access",
    "multilingual",
    "sla_routing",
    "sso",
)
# Number of FEATURES (a prefix) available on each plan; the rest are blocked.
FEATURES_ON_PLAN = (4, 7, 10, 12)

ONBOARDING_PROGRAMS = {
    "self-serve-v1": (
        ("welcome", True),
        ("first_chatbot", True),
        ("customize", True),
        ("install", True),
        ("first_conversation", True),
        ("connect_whatsapp", False),
        ("invite_team", False),
    ),
    "mid-market-v1": (
        ("kickoff", True),
        ("discovery", True),
        ("implementation", True),
        ("training", True),
        ("go_live", True),
        ("review_30", True),
    ),
}
PROGRAM_OF_SEGMENT = ("self-serve-v1", "self-serve-v1", "mid-market-v1", "mid-market-v1")
# Typical days between consecutive steps of each program.
STEP_GAP_DAYS = {"self-serve-v1": 1.0, "mid-market-v1": 5.0}

ADVOCACY_STATUSES = ("reference", "case_study", "g2_review")

COMPETITORS = ("Intercom", "Drift", "Ada", "Zendesk Answer Bot")

CANCELLATION_FEEDBACK = (
    "too_expensive",
    "missing_features",
    "switched_service",
    "unused",
    "low_quality",
    "customer_service",
    "too_complex",
    "other",
)

FAILURES = (
    # failure_code, outcome.reason, outcome.type, message
    ("card_declined", "generic_decline", "issuer_declined", "Your card was declined."),
    (
        "insufficient_funds",
        "insufficient_funds",
        "issuer_declined",
        "Your card has insufficient funds.",
    ),
    ("expired_card", "expired_card", "issuer_declined", "Your card has expired."),
    (
        "incorrect_cvc",
        "incorrect_cvc",
        "issuer_declined",
        "Your card's security code is incorrect.",
    ),
    ("card_declined", "highest_risk_level", "blocked", "Your card was declined."),
)
FAILURE_WEIGHTS = (0.45, 0.30, 0.15, 0.05, 0.05)

NAME_FIRST = (
    "Acme",
    "Blue",
    "Bright",
    "Cedar",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orbit",
    "Pioneer",
    "Quartz",
    "River",
    "Summit",
    "Tidal",
    "Umbra",
    "Vertex",
    "Willow",
    "Zenith",
    "Atlas",
    "Beacon",
    "Copper",
    "Drift",
    "Ember",
)
NAME_SECOND = (
    "Labs",
    "Retail",
    "Health",
    "Logistics",
    "Travel",
    "Foods",
    "Energy",
    "Media",
    "Finance",
    "Motors",
    "Studios",
    "Systems",
    "Outdoors",
    "Homes",
    "Learning",
    "Pharma",
    "Games",
    "Fashion",
    "Telecom",
    "Insurance",
)
PERSON_FIRST = (
    "ana",
    "ben",
    "carla",
    "david",
    "elena",
    "felix",
    "grace",
    "hugo",
    "ines",
    "jonas",
    "kira",
    "luis",
    "maya",
    "nils",
    "olga",
    "pablo",
    "quinn",
    "rosa",
    "sam",
    "tara",
    "uma",
    "victor",
    "wendy",
    "xavier",
    "yara",
    "zoe",
)
PERSON_LAST = (
    "garcia",
    "smith",
    "muller",
    "rossi",
    "dubois",
    "kim",
    "silva",
    "nowak",
    "jensen",
    "tanaka",
    "brown",
    "lopez",
    "martin",
    "novak",
    "costa",
    "weber",
    "moreau",
    "ivanova",
    "patel",
    "chen",
)
USER_ROLES = ("admin", "agent", "agent", "agent", "viewer")

TICKET_TOPICS = (
    ("question", "How do I connect the chatbot to our CRM?"),
    ("question", "Where can I change the widget colours?"),
    ("question", "Can we export conversation transcripts?"),
    ("incident", "Chatbot stopped answering on our website"),
    ("incident", "WhatsApp messages are not delivered"),
    ("problem", "Analytics dashboard shows wrong totals"),
    ("problem", "Handover to live agents is slow"),
    ("task", "Please add two more seats to our plan"),
    ("task", "Update our billing address"),
    ("incident", "Login fails with SSO"),
)
SUPPORT_AGENTS = 12

NPS_COMMENTS = {
    "promoter": (
        "Great product, the bot handles most of our chats.",
        "Setup was quick and support is very responsive.",
        "Our customers love the instant answers.",
    ),
    "passive": (
        "Works fine, reporting could be better.",
        "Good overall but some features are missing.",
        "Decent value, a few bugs here and there.",
    ),
    "detractor": (
        "Too expensive for what we use.",
        "The bot misunderstands our customers too often.",
        "Support takes days to answer.",
        "Considering moving to another vendor.",
    ),
}

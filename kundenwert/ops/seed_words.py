"""Word lists for the demo-data seeder: German and English companies, people and places.

Written for Kundenwert; any resemblance of a combination to a real company is accidental.
"""

from __future__ import annotations

# --- people --------------------------------------------------------------------------------

DE_FIRST_F = (
    "Anna", "Maria", "Julia", "Laura", "Sarah", "Lisa", "Katharina", "Sabine", "Claudia",
    "Petra", "Monika", "Andrea", "Stefanie", "Nicole", "Susanne", "Birgit", "Lena", "Hannah",
    "Lea", "Sophie", "Johanna", "Franziska", "Jana", "Miriam", "Ursula", "Heike", "Karin",
    "Renate", "Tanja", "Melanie", "Charlotte", "Greta", "Ines", "Jutta", "Silke",
)  # fmt: skip
DE_FIRST_M = (
    "Thomas", "Michael", "Andreas", "Stefan", "Christian", "Markus", "Frank", "Jürgen",
    "Peter", "Klaus", "Wolfgang", "Uwe", "Matthias", "Tobias", "Jan", "Lukas", "Felix",
    "Jonas", "Florian", "Sebastian", "Alexander", "Dirk", "Holger", "Ralf", "Bernd", "Jens",
    "Martin", "Sven", "Torsten", "Björn", "Jörg", "Henrik", "Moritz", "Paul", "Niklas",
)  # fmt: skip
DE_LAST = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
    "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange",
    "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Köhler", "Herrmann", "König",
    "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller",
    "Weiß", "Jung", "Hahn", "Vogel", "Friedrich", "Keller", "Günther", "Frank", "Berger",
    "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke", "Albrecht", "Schuster",
    "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Schumacher", "Krämer", "Vogt", "Stein",
    "Jäger", "Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt", "Haas", "Schreiber",
    "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl", "Engel", "Horn",
    "Busch", "Bergmann", "Voigt", "Sauer", "Arnold", "Wolff", "Pfeiffer", "Ostermann",
    "Brinkmann", "Hansen", "Jansen", "Petersen", "Thiele", "Wendt", "Ahrens", "Hinrichs",
)  # fmt: skip
EN_FIRST_F = (
    "Olivia", "Emily", "Charlotte", "Amelia", "Sophie", "Grace", "Jessica", "Hannah",
    "Lucy", "Emma", "Chloe", "Rebecca", "Laura", "Rachel", "Helen", "Catherine", "Sarah",
    "Victoria", "Eleanor", "Alice", "Isabel", "Megan", "Fiona", "Claire", "Natalie",
)  # fmt: skip
EN_FIRST_M = (
    "Oliver", "George", "Harry", "Jack", "Thomas", "James", "William", "Daniel", "Samuel",
    "Joseph", "Benjamin", "Matthew", "David", "Andrew", "Richard", "Mark", "Paul", "Simon",
    "Christopher", "Edward", "Henry", "Peter", "Robert", "Stephen", "Alistair",
)  # fmt: skip
EN_LAST = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Harrison", "Cooper", "Ward", "Turner", "Hughes", "Edwards",
    "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Bell", "Bailey",
    "Parker", "Mitchell", "Carter", "Phillips", "Marshall", "Fletcher", "Bennett", "Barker",
    "Lloyd", "Palmer", "Knight", "Ellis", "Hunt", "Price", "Gallagher", "O'Neill", "McKenzie",
)  # fmt: skip
NL_FIRST_F = ("Anouk", "Sanne", "Lotte", "Femke", "Eva", "Iris", "Marloes", "Fleur", "Noor")
NL_FIRST_M = ("Daan", "Sem", "Bram", "Jeroen", "Pieter", "Joost", "Ruben", "Thijs", "Wouter")
NL_LAST = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit",
    "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Hendriks", "van Leeuwen",
    "Dekker", "Brouwer", "de Wit", "Kuipers",
)  # fmt: skip

DE_TITLES = ("Dr.", "Prof. Dr.", "Dipl.-Ing.", "Dr.-Ing.")
EN_TITLES = ("Dr", "Prof")

DE_JOBS = (
    "Geschäftsführung", "Einkaufsleitung", "Vertriebsleitung", "Leitung IT", "Buchhaltung",
    "Projektmanagement", "Assistenz der Geschäftsführung", "Technischer Einkauf",
    "Marketingleitung", "Personalleitung", "Produktionsleitung", "Qualitätsmanagement",
    "Prokurist", "Inhaber", "Controlling", "Kundendienst",
)  # fmt: skip
EN_JOBS = (
    "Managing Director", "Head of Procurement", "Sales Director", "IT Manager", "Accountant",
    "Project Manager", "Office Manager", "Buyer", "Marketing Manager", "HR Manager",
    "Operations Manager", "Quality Manager", "Finance Director", "Owner", "Customer Service Lead",
)  # fmt: skip
DE_ROLES = (
    "Entscheider", "Ansprechpartner Einkauf", "Technischer Kontakt", "Rechnungsempfänger",
    "Ansprechpartner Vertrieb", "Projektkontakt",
)  # fmt: skip
EN_ROLES = (
    "Decision maker", "Purchasing contact", "Technical contact", "Billing contact",
    "Sales contact", "Project contact",
)  # fmt: skip

# --- companies -----------------------------------------------------------------------------

# (German industry, English industry, German name words, English name words)
INDUSTRIES = (
    ("Maschinenbau", "Mechanical engineering", ("Maschinenbau", "Anlagenbau", "Antriebstechnik"),
     ("Engineering", "Machinery", "Precision")),
    ("Logistik", "Logistics", ("Logistik", "Spedition", "Transporte"),
     ("Logistics", "Freight", "Haulage")),
    ("Software", "Software", ("Software", "IT-Systeme", "Digital"),
     ("Software", "Systems", "Digital")),
    ("Einzelhandel", "Retail", ("Handel", "Warenhaus", "Fachmarkt"),
     ("Retail", "Stores", "Trading")),
    ("Großhandel", "Wholesale", ("Großhandel", "Handelshaus", "Vertrieb"),
     ("Wholesale", "Supplies", "Distribution")),
    ("Bauwesen", "Construction", ("Bau", "Hochbau", "Bauunternehmung"),
     ("Construction", "Builders", "Developments")),
    ("Automobilzulieferer", "Automotive supply", ("Fahrzeugteile", "Autotechnik", "Zulieferteile"),
     ("Automotive", "Motor Components", "Auto Parts")),
    ("Gesundheitswesen", "Healthcare", ("Medizintechnik", "Praxisbedarf", "Gesundheit"),
     ("Healthcare", "Medical", "Care")),
    ("Energie", "Energy", ("Energie", "Solartechnik", "Stadtwerke"),
     ("Energy", "Power", "Renewables")),
    ("Lebensmittel", "Food & beverage", ("Feinkost", "Backwaren", "Getränke"),
     ("Foods", "Bakery", "Beverages")),
    ("Beratung", "Consulting", ("Beratung", "Consulting", "Unternehmensberatung"),
     ("Consulting", "Advisory", "Partners")),
    ("Finanzdienstleistungen", "Financial services", ("Finanz", "Vermögensberatung", "Leasing"),
     ("Finance", "Capital", "Leasing")),
    ("Medien", "Media", ("Medien", "Verlag", "Druckerei"), ("Media", "Publishing", "Print")),
    ("Chemie", "Chemicals", ("Chemie", "Kunststoffe", "Lacke"),
     ("Chemicals", "Plastics", "Coatings")),
    ("Elektrotechnik", "Electrical engineering", ("Elektro", "Elektrotechnik", "Schaltanlagen"),
     ("Electrical", "Electronics", "Controls")),
    ("Textil", "Textiles", ("Textil", "Weberei", "Mode"), ("Textiles", "Fabrics", "Fashion")),
    ("Tourismus", "Tourism", ("Reisen", "Hotel", "Touristik"), ("Travel", "Hotels", "Tours")),
    ("Immobilien", "Real estate", ("Immobilien", "Hausverwaltung", "Wohnbau"),
     ("Property", "Estates", "Homes")),
    ("Landwirtschaft", "Agriculture", ("Agrar", "Landhandel", "Saatzucht"),
     ("Agriculture", "Farm Supplies", "Seeds")),
    ("Bildung", "Education", ("Akademie", "Bildungswerk", "Schulungszentrum"),
     ("Academy", "Training", "Learning")),
)  # fmt: skip

DE_PREFIXES = (
    "Nord", "Süd", "West", "Ost", "Alpen", "Rhein", "Elbe", "Main", "Hansa", "Weser", "Spree",
    "Isar", "Donau", "Ems", "Harz", "Taunus", "Eifel", "Ostsee", "Nordsee", "Bodensee",
)  # fmt: skip
DE_SUFFIXES = (
    "tec", "tronic", "plan", "bau", "werk", "data", "soft", "med", "trans", "form", "druck",
    "haus", "metall", "holz", "energie", "consult", "logistik", "licht", "glas", "stahl",
)  # fmt: skip
EN_ADJECTIVES = (
    "Blue", "Northern", "Silver", "Red", "Green", "Royal", "Atlantic", "Bright", "Crown", "Oak",
    "Summit", "Pioneer", "Golden", "Western", "Highland", "Coastal", "Union", "Granite",
)  # fmt: skip
EN_NOUNS = (
    "Harbour", "Bridge", "River", "Stone", "Valley", "Field", "Peak", "Gate", "Star", "Lion",
    "Anchor", "Compass", "Meadow", "Forge", "Beacon", "Falcon",
)  # fmt: skip

# Legal forms (all in Organization.LEGAL_FORMS) with weights, per country.
LEGAL_FORMS = {
    "DE": (("GmbH", 45), ("GmbH & Co. KG", 15), ("AG", 5), ("UG (haftungsbeschränkt)", 10),
           ("KG", 5), ("e.K.", 10), ("OHG", 3), ("GbR", 4), ("e.V.", 3)),
    "AT": (("GmbH", 70), ("AG", 10), ("KG", 15), ("GmbH & Co. KG", 5)),
    "GB": (("Ltd", 70), ("PLC", 10), ("LLP", 10), ("sole trader", 10)),
    "NL": (("B.V.", 85), ("N.V.", 15)),
}  # fmt: skip

TAGS = (
    "Messe 2025", "Newsletter", "Key Account", "Trade fair 2026", "Partnerprogramm", "Webinar",
    "Referenzkunde", "Reference customer", "A-Kunde", "Pilot",
)  # fmt: skip

# --- places --------------------------------------------------------------------------------

DE_STREETS = (
    "Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Goethestraße", "Lindenallee", "Am Markt",
    "Gartenweg", "Industriestraße", "Kirchweg", "Hafenstraße", "Mühlenweg", "Rosenstraße",
    "Birkenweg", "Friedrichstraße", "Königsallee", "Uferstraße", "Werftstraße", "Gewerbepark Nord",
    "Kastanienallee", "Schulstraße", "Am Stadtpark", "Lessingstraße", "Eichendorffweg",
)  # fmt: skip
GB_STREETS = (
    "High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane", "King Street",
    "Queen's Road", "Park Avenue", "Harbour Way", "Market Square", "Chapel Street",
    "Riverside Drive", "London Road", "Albert Street",
)  # fmt: skip
NL_STREETS = (
    "Keizersgracht", "Herengracht", "Stationsplein", "Kerkstraat", "Dorpsstraat", "Molenweg",
    "Havenstraat", "Marktplein", "Prinsengracht", "Schoolstraat",
)  # fmt: skip

# City, region, postal code range or districts, landline prefix, digits after it (checked valid
# by phonenumbers in tests/ops).
CITIES = {
    "DE": (
        ("Berlin", "Berlin", (10115, 14199), "+4930", 8),
        ("Hamburg", "Hamburg", (20095, 22769), "+4940", 8),
        ("München", "Bayern", (80331, 81929), "+4989", 8),
        ("Köln", "Nordrhein-Westfalen", (50667, 51149), "+49221", 7),
        ("Frankfurt am Main", "Hessen", (60306, 60599), "+4969", 8),
        ("Stuttgart", "Baden-Württemberg", (70173, 70629), "+49711", 7),
        ("Bremen", "Bremen", (28195, 28779), "+49421", 7),
        ("Hannover", "Niedersachsen", (30159, 30669), "+49511", 7),
        ("Kiel", "Schleswig-Holstein", (24103, 24159), "+49431", 7),
        ("Rostock", "Mecklenburg-Vorpommern", (18055, 18147), "+49381", 7),
        ("Nürnberg", "Bayern", (90402, 90491), "+49911", 7),
        ("Düsseldorf", "Nordrhein-Westfalen", (40210, 40629), "+49211", 7),
        ("Leipzig", "Sachsen", (4103, 4357), "+49341", 7),
        ("Dresden", "Sachsen", (1067, 1328), "+49351", 7),
        ("Lübeck", "Schleswig-Holstein", (23552, 23570), "+49451", 7),
        ("Freiburg im Breisgau", "Baden-Württemberg", (79098, 79117), "+49761", 7),
    ),
    "AT": (
        ("Wien", "Wien", (1010, 1230), "+4315", 6),
        ("Graz", "Steiermark", (8010, 8055), "+43316", 6),
        ("Linz", "Oberösterreich", (4020, 4040), "+43732", 6),
        ("Salzburg", "Salzburg", (5020, 5071), "+43662", 6),
        ("Innsbruck", "Tirol", (6020, 6080), "+43512", 6),
    ),
    "GB": (
        ("London", "", ("EC1A", "EC2M", "N1", "SE1", "W1D", "E14", "SW1A"), "+44207", 7),
        ("Manchester", "", ("M1", "M2", "M3", "M4"), "+44161", 7),
        ("Birmingham", "", ("B1", "B2", "B3", "B5"), "+441214", 6),
        ("Leeds", "", ("LS1", "LS2", "LS6"), "+441132", 6),
        ("Bristol", "", ("BS1", "BS2", "BS8"), "+441179", 6),
        ("Belfast", "Northern Ireland", ("BT1", "BT2", "BT7"), "+442890", 6),
    ),
    "NL": (
        ("Amsterdam", "Noord-Holland", (1011, 1109), "+3120", 7),
        ("Rotterdam", "Zuid-Holland", (3011, 3089), "+3110", 7),
        ("Utrecht", "Utrecht", (3511, 3585), "+3130", 7),
        ("Eindhoven", "Noord-Brabant", (5611, 5658), "+3140", 7),
        ("Den Haag", "Zuid-Holland", (2511, 2597), "+3170", 7),
    ),
}
MOBILE = {
    "DE": (("+49151", 8), ("+49160", 7), ("+49170", 7), ("+49176", 8)),
    "AT": (("+43664", 7),),
    "GB": (("+4477", 8), ("+4478", 8), ("+4475", 8)),
    "NL": (("+3161", 7), ("+3162", 7), ("+3165", 7)),
}
TLD = {"DE": "de", "AT": "at", "GB": "co.uk", "NL": "nl"}
PRIVATE_MAIL = {
    "DE": ("gmx.de", "web.de", "t-online.de", "posteo.de", "mailbox.org"),
    "AT": ("gmx.at", "aon.at", "chello.at"),
    "GB": ("btinternet.com", "outlook.com", "yahoo.co.uk"),
    "NL": ("ziggo.nl", "kpnmail.nl", "outlook.com"),
}
COUNTRY_WEIGHTS = (("DE", 70), ("AT", 10), ("GB", 12), ("NL", 8))

# --- activities ----------------------------------------------------------------------------

SUBJECTS = {
    "de": {
        "call": ("Telefonat: Angebot nachfassen", "Rückruf wegen Lieferzeit", "Erstgespräch",
                 "Telefonat zur Rechnung", "Kurze Abstimmung zum Projektstand",
                 "Reklamation besprochen"),
        "meeting": ("Vor-Ort-Termin", "Jahresgespräch", "Produktvorführung",
                    "Workshop Anforderungen", "Projekt-Kick-off", "Messegespräch"),
        "note": ("Ansprechpartner gewechselt", "Budget für Q3 freigegeben",
                 "Hinweis zur Zahlungsweise", "Wettbewerber im Gespräch",
                 "Neue Lieferadresse mitgeteilt"),
        "task": ("Angebot erstellen", "Vertrag zusenden", "Rückruf einplanen", "Muster verschicken",
                 "Rechnung prüfen", "Termin vorbereiten", "Preisliste aktualisieren"),
        "email": ("Angebot gesendet", "Unterlagen nachgereicht", "Terminbestätigung",
                  "Preisliste 2026 versendet", "Anfrage beantwortet"),
    },
    "en": {
        "call": ("Call: follow up on quote", "Call back about delivery time", "Discovery call",
                 "Call about the invoice", "Quick project status check", "Complaint discussed"),
        "meeting": ("On-site visit", "Annual review", "Product demo", "Requirements workshop",
                    "Project kick-off", "Trade fair meeting"),
        "note": ("Contact person changed", "Budget approved for Q3", "Note on payment terms",
                 "Competitor in the running", "New delivery address received"),
        "task": ("Prepare quote", "Send contract", "Schedule call back", "Ship samples",
                 "Check invoice", "Prepare meeting", "Update price list"),
        "email": ("Quote sent", "Documents sent", "Meeting confirmed", "Price list 2026 sent",
                  "Enquiry answered"),
    },
}  # fmt: skip
BODIES = {
    "de": (
        "Kurz besprochen, **nächster Schritt**: Angebot bis Ende der Woche.",
        "Punkte:\n\n- Liefertermin bestätigt\n- Rabatt von 5 % angefragt\n- Ansprechpartner "
        "bleibt gleich",
        "Kunde ist grundsätzlich interessiert. Entscheidung fällt im *nächsten Quartal*.",
        "Offene Fragen:\n\n1. Zahlungsziel 30 oder 60 Tage?\n2. Wer unterschreibt?",
        "",
    ),
    "en": (
        "Short talk, **next step**: send the quote by Friday.",
        "Points:\n\n- delivery date confirmed\n- asked for a 5 % discount\n- same contact person",
        "The customer is interested in principle. Decision *next quarter*.",
        "Open questions:\n\n1. Payment terms 30 or 60 days?\n2. Who signs?",
        "",
    ),
}
OUTCOMES = {
    "de": ("Interesse bestätigt", "Angebot angefragt", "Kein Bedarf", "Rückruf vereinbart",
           "Entscheidung im nächsten Quartal", "", ""),
    "en": ("Interest confirmed", "Quote requested", "No need", "Call back agreed",
           "Decision next quarter", "", ""),
}  # fmt: skip

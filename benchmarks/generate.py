"""Deterministic, realistic contacts and search queries for the benchmarks.

Everything comes from one `random.Random(seed)`, so a given seed and size always give the same book
(never iterate a `set` of strings here: string hashing is randomised per process).
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass

import phonenumbers
from rolo.core.record import ContactRecord, EmailEntry, PhoneEntry

SEED = 20_251_123

# region -> (given names, family names). Names keep their accents and scripts; romanised forms for emails
# come from `_ascii` (or, for non-Latin scripts, from the romanisation after the "|").
NAMES: dict[str, tuple[list[str], list[str]]] = {
    "US": (
        ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chris", "Karen",
         "Tyler", "Ashley", "Brandon", "Megan", "Dwayne", "Latoya", "Hunter", "Madison"],
        ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
         "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
         "Robinson", "Walker", "Young", "Allen", "King", "O'Brien", "McAllister", "Washington"],
    ),
    "GB": (
        ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie", "Sophie", "Alfie",
         "Poppy", "Freddie", "Imogen", "Rhys", "Siobhan", "Callum", "Eilidh", "Niamh", "Dafydd"],
        ["Jones", "Evans", "Davies", "Hughes", "Wright", "Walker", "Roberts", "Green", "Hall", "Wood",
         "Edwards", "Turner", "Hill", "Cooper", "Ward", "Morris", "Baker-Smith", "MacDonald", "Lovelace",
         "Pryce"],
    ),
    "DE": (
        ["Lukas", "Anna", "Jonas", "Lea", "Felix", "Hannah", "Maximilian", "Lena", "Leon", "Marie", "Jürgen",
         "Sören", "Käthe", "Björn", "Uwe", "Heike", "Matthias", "Sabine", "Günter", "Ute"],
        ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
         "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Größ",
         "von Bülow"],
    ),
    "FR": (
        ["Gabriel", "Louise", "Raphaël", "Jade", "Léo", "Ambre", "Louis", "Chloé", "Hugo", "Léa", "Théo",
         "Manon", "Noémie", "François", "Hélène", "Jérôme", "Amélie", "Benoît", "Cécile", "Anaïs"],
        ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
         "Simon", "Laurent", "Lefèvre", "Michel", "Garçon", "Fournier", "Girard", "Bonnet", "Dupont",
         "Lemaître"],
    ),
    "ES": (
        ["Lucía", "Hugo", "Martina", "Mateo", "Sofía", "Martín", "María", "Pablo", "Julia", "Álvaro", "Paula",
         "Adrián", "Begoña", "Íñigo", "Nuria", "Javier", "Pilar", "Sergio", "Rocío", "Ángel"],
        ["García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
         "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Ibáñez",
         "Castaño"],
    ),
    "MX": (
        ["José", "Guadalupe", "Juan", "Ximena", "Luis", "Valentina", "Carlos", "Camila", "Jesús", "Renata",
         "Alejandro", "Fernanda", "Miguel", "Daniela", "Diego", "Regina"],
        ["Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez",
         "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres", "Mendoza"],
    ),
    "BR": (
        ["João", "Maria", "Pedro", "Ana", "Lucas", "Juliana", "Gabriel", "Fernanda", "Rafael", "Letícia",
         "Thiago", "Beatriz", "Gonçalo", "Conceição", "Vinícius", "Luíza"],
        ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
         "Costa", "Ribeiro", "Martins", "Carvalho", "Araújo", "Magalhães"],
    ),
    "IT": (
        ["Francesco", "Sofia", "Alessandro", "Giulia", "Lorenzo", "Aurora", "Matteo", "Alice", "Niccolò",
         "Ginevra", "Leonardo", "Beatrice", "Nicolò", "Chiara"],
        ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
         "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa"],
    ),
    "PL": (
        ["Zofia", "Jakub", "Zuzanna", "Antoni", "Julia", "Jan", "Łucja", "Szymon", "Małgorzata", "Wojciech",
         "Agnieszka", "Paweł"],
        ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
         "Szymański", "Woźniak", "Dąbrowski", "Kozłowski"],
    ),
    "SE": (
        ["Alice", "William", "Maja", "Liam", "Elsa", "Noah", "Åsa", "Björn", "Märta", "Örjan", "Saga",
         "Sixten"],
        ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
         "Svensson", "Gustafsson", "Åberg", "Öberg", "Ström", "Lindqvist"],
    ),
    "RU": (
        ["Алексей|Aleksei", "Мария|Maria", "Дмитрий|Dmitry", "Анна|Anna", "Sergei", "Olga", "Ivan", "Natalia",
         "Mikhail", "Ekaterina", "Andrei", "Tatiana"],
        ["Иванов|Ivanov", "Смирнова|Smirnova", "Kuznetsov", "Popova", "Sokolov", "Lebedeva", "Kozlov",
         "Novikova", "Morozov", "Volkova", "Petrov", "Vasilieva"],
    ),
    "JP": (
        ["Haruto", "Yui", "Sota", "Hina", "Yuto", "Sakura", "Ren", "Aoi", "Takeshi", "Yuki", "花子|Hanako",
         "太郎|Taro", "Kenji", "Akiko", "Hiroshi", "Naomi"],
        ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi",
         "Kato", "山田|Yamada", "佐藤|Sato", "Yoshida", "Yamaguchi", "Matsumoto", "Inoue"],
    ),
    "KR": (
        ["Min-jun", "Seo-yeon", "Ji-ho", "Ha-eun", "Do-yun", "Ji-woo", "Seo-jun", "Soo-ah", "민준|Minjun",
         "지우|Jiwoo", "Hyun-woo", "Eun-ji"],
        ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "김|Kim", "박|Park"],
    ),
    "CN": (
        ["Wei", "Fang", "Jing", "Li", "Min", "Xiuying", "Yong", "Lei", "Jie", "Ying", "伟|Wei",
         "秀英|Xiuying", "Xiaoming", "Yan", "Hao", "Mei"],
        ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "王|Wang", "李|Li",
         "Xu", "Sun", "Ma", "Zhu"],
    ),
    "IN": (
        ["Aarav", "Priya", "Vivaan", "Ananya", "Aditya", "Diya", "Arjun", "Saanvi", "Rohan", "Kavya", "Rahul",
         "Pooja", "Vikram", "Lakshmi", "Sanjay", "Deepika"],
        ["Sharma", "Verma", "Patel", "Gupta", "Singh", "Kumar", "Reddy", "Iyer", "Nair", "Mehta",
         "Chatterjee", "Banerjee", "Rao", "Joshi", "Kapoor", "Desai"],
    ),
    "NG": (
        ["Chinedu", "Ngozi", "Oluwaseun", "Adaeze", "Emeka", "Folasade", "Tunde", "Chiamaka", "Ifeanyi",
         "Yetunde", "Babajide", "Nneka"],
        ["Okafor", "Adeyemi", "Okonkwo", "Balogun", "Eze", "Nwosu", "Adebayo", "Obi", "Ogunleye", "Chukwu",
         "Abubakar", "Ibrahim"],
    ),
    "EG": (
        ["Mohamed", "Fatma", "Ahmed", "Mariam", "Omar", "Nour", "Youssef", "Salma", "محمد|Mohamed", "Karim"],
        ["Hassan", "Ali", "Ibrahim", "Mahmoud", "El-Sayed", "Abdel-Rahman", "Mostafa", "Farouk", "Said",
         "Nasser"],
    ),
    "VN": (
        ["Anh", "Minh", "Linh", "Huy", "Trang", "Dũng", "Thảo", "Quang", "Hương", "Tuấn"],
        ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ"],
    ),
}
# How often each region's people appear in the book (a US user with an international circle).
REGION_WEIGHTS = {
    "US": 40, "GB": 8, "DE": 6, "FR": 5, "ES": 4, "MX": 5, "BR": 4, "IT": 3, "PL": 2, "SE": 2, "RU": 2,
    "JP": 3, "KR": 2, "CN": 4, "IN": 5, "NG": 2, "EG": 1, "VN": 2,
}
BOOK_REGION = "US"  # the book's default region: numbers of other countries are stored in international form

MAIL_PROVIDERS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "hotmail.com",
                  "aol.com", "fastmail.com", "web.de", "gmx.de", "orange.fr", "libero.it", "yandex.ru",
                  "qq.com", "naver.com", "uol.com.br", "rediffmail.com"]
LABELS = ["friends", "family", "work", "clients", "investors", "book club", "climbing", "school", "neighbors",
          "vip", "press", "recruiters", "suppliers", "alumni", "conference 2024", "soccer", "choir",
          "doctors", "contractors", "board", "mentors", "hackathon", "travel", "wedding", "kids' parents",
          "open source", "partners", "old job", "church", "volunteering"]
TITLES = ["CEO", "CTO", "Software Engineer", "Senior Software Engineer", "Product Manager", "Designer",
          "Account Executive", "Sales Director", "Marketing Manager", "Data Scientist", "Nurse", "Architect",
          "Attorney", "Accountant", "Professor", "Teacher", "Consultant", "Founder", "Head of Operations",
          "Recruiter", "Journalist", "Chef", "Pharmacist", "Civil Engineer", "Office Manager",
          "VP Engineering", "Research Scientist", "Photographer", "Real Estate Agent", "Financial Analyst",
          "Electrician", "Physician", "HR Business Partner", "Customer Success Manager",
          "Site Reliability Engineer"]
DEPARTMENTS = ["Engineering", "Sales", "Marketing", "Finance", "Legal", "Operations", "Research", "Support"]
NOTES = [
    "Met at {event}; follow up about {topic}.",
    "Prefers email over calls. Knows a lot about {topic}.",
    "Introduced by {friend}. Interested in {topic}.",
    "Owes me a book on {topic}.",
    "Kids go to the same school. Ask about {event}.",
    "Worked together on the {topic} project in {year}.",
    "Allergic to peanuts — remember for the {event}.",
]
EVENTS = ["PyCon", "the offsite", "Web Summit", "the wedding", "a meetup", "the hackathon", "the conference",
          "the reunion", "the marathon", "the board meeting"]
TOPICS = ["gardening", "sourdough", "Kubernetes", "sailing", "jazz", "climbing", "tax law", "photography",
          "chess", "vintage synths", "birdwatching", "woodworking", "machine learning", "wine", "cycling"]

_ORG_ROOTS = ["North", "Blue", "Silver", "Iron", "Bright", "Green", "Red", "Summit", "Harbor", "Cedar",
              "Pine", "Granite", "Falcon", "Orion", "Vertex", "Quantum", "Atlas", "Nova", "Apex", "Echo",
              "Lumen", "Stellar", "Crest", "Maple", "Oak", "River", "Stone", "Sky", "Sun", "Polar", "Golden",
              "Crystal", "Pioneer", "Frontier", "Meridian", "Beacon", "Cobalt", "Ember", "Horizon", "Zenith",
              "Nimbus", "Aurora", "Kestrel", "Tidal", "Prairie", "Alpine", "Coral", "Jade", "Onyx", "Sierra"]
_ORG_STEMS = ["wind", "star", "field", "bridge", "gate", "point", "wave", "light", "brook", "ridge", "path",
              "works", "forge", "line", "stone", "leaf"]
_ORG_INDUSTRY = ["Traders", "Analytics", "Logistics", "Labs", "Health", "Capital", "Media", "Robotics",
                 "Foods", "Energy", "Software", "Consulting", "Bank", "Pharma", "Design", "Systems", "Motors",
                 "Textiles", "Insurance", "Studios", "Networks", "Biotech", "Partners", "Holdings",
                 "Outfitters"]
_ORG_FORMS = ["", "", "", " Inc.", " LLC", " Ltd", " GmbH", " S.A.", " AG", " & Co.", " Group", " Co."]


@dataclass(frozen=True)
class Organization:
    """A company in the pool: its name and its mail domain."""

    name: str
    domain: str


def organizations(rng: random.Random, count: int = 2000) -> list[Organization]:
    """`count` distinct companies (e.g. "Northwind Traders", "Cobaltforge Analytics GmbH")."""
    seen: dict[str, Organization] = {}
    while len(seen) < count:
        root = rng.choice(_ORG_ROOTS)
        word = root + rng.choice(_ORG_STEMS) if rng.random() < 0.6 else root
        industry = rng.choice(_ORG_INDUSTRY)
        name = f"{word} {industry}{rng.choice(_ORG_FORMS)}"
        key = f"{word} {industry}".lower()
        if key not in seen:
            domain = f"{word.lower()}{industry.lower()}.{rng.choice(['com', 'com', 'io', 'co', 'net', 'de'])}"
            seen[key] = Organization(name, domain)
    return list(seen.values())


def _split(name: str) -> tuple[str, str]:
    """(as written, ASCII romanisation) of a pool entry."""
    written, _, roman = name.partition("|")
    return written, roman or written


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("Ł", "L").replace("ł", "l")
                                   .replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in folded.encode("ascii", "ignore").decode().lower() if c.isalnum())


_NUMBER_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)


def _phone_number(rng: random.Random, region: str) -> phonenumbers.PhoneNumber:
    """A valid-looking number of the region: its example number with the last digits randomised."""
    example = phonenumbers.example_number_for_type(region, rng.choice(_NUMBER_TYPES))
    assert example is not None, region  # every region in NAMES has example numbers
    digits = str(example.national_number)
    keep = 0 if region == BOOK_REGION else 1  # keep the leading digit abroad (mobile vs fixed ranges)
    for _ in range(100):
        national = digits[:keep] + "".join(rng.choice("0123456789") for _ in range(len(digits) - keep))
        number = phonenumbers.PhoneNumber(country_code=example.country_code, national_number=int(national),
                                          italian_leading_zero=example.italian_leading_zero)
        if phonenumbers.is_valid_number_for_region(number, region):
            return number
    return example


def _format_phone(rng: random.Random, number: phonenumbers.PhoneNumber, region: str) -> str:
    """How people type numbers: national styles for the book's own region, international for the rest."""
    fmt = phonenumbers.PhoneNumberFormat
    if region == BOOK_REGION:
        national = phonenumbers.format_number(number, fmt.NATIONAL)  # (415) 555-0123
        digits = str(number.national_number)
        return rng.choice([
            national,
            f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
            f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
            phonenumbers.format_number(number, fmt.INTERNATIONAL),  # +1 415-555-0123
            phonenumbers.format_number(number, fmt.E164),
        ])
    return rng.choice([
        phonenumbers.format_number(number, fmt.INTERNATIONAL),  # +44 20 7946 0123
        phonenumbers.format_number(number, fmt.E164),  # +442079460123
    ])


@dataclass
class Generated:
    """One generated contact and what a search for it may use."""

    record: ContactRecord
    region: str
    national_phone: str  # the first phone in its region's national format, as a user would type it


class ContactGenerator:
    """Realistic contacts from a fixed seed: `generate(n)` always yields the same n contacts."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.orgs = organizations(random.Random(seed + 1))
        self._regions = list(REGION_WEIGHTS)
        self._weights = [REGION_WEIGHTS[r] for r in self._regions]
        self._native = {region: ([n for n in g if "|" in n], [n for n in f if "|" in n])
                        for region, (g, f) in NAMES.items()}

    def generate(self, count: int) -> list[Generated]:
        """`count` contacts."""
        return [self.one() for _ in range(count)]

    def one(self) -> Generated:
        """One contact."""
        rng = self.rng
        region = rng.choices(self._regions, self._weights)[0]
        givens, families = NAMES[region]
        native_givens, native_families = self._native[region]
        if native_givens and native_families and rng.random() < 0.3:
            # written in the native script (pool entries "native|romanised"); CJK names run family first
            given, given_roman = _split(rng.choice(native_givens))
            family, family_roman = _split(rng.choice(native_families))
        else:
            given = given_roman = _split(rng.choice(givens))[1]
            family = family_roman = _split(rng.choice(families))[1]
        native_cjk = region in ("CN", "JP") and not given.isascii()
        formatted = f"{family}{given}" if native_cjk else f"{given} {family}"
        org = rng.choice(self.orgs) if rng.random() < 0.85 else None

        local_g, local_f = _ascii(given_roman), _ascii(family_roman)
        emails: list[EmailEntry] = []
        for i in range(rng.choice((1, 1, 1, 2, 2, 3))):
            label: str | None
            if i == 0 and org is not None and rng.random() < 0.5:
                domain, label = org.domain, "work"
            else:
                domain, label = rng.choice(MAIL_PROVIDERS), rng.choice(["home", None, None])
            local = rng.choice([f"{local_g}.{local_f}", f"{local_g}{local_f}", f"{local_g[:1]}{local_f}",
                                f"{local_g}_{local_f}{rng.randint(1, 99)}", f"{local_f}.{local_g}"])
            address = f"{local}@{domain}"
            if rng.random() < 0.1:
                address = address.capitalize()  # addresses are kept as typed
            if all(e.address.lower() != address.lower() for e in emails):
                emails.append(EmailEntry(address, label, primary=not emails))

        phones: list[PhoneEntry] = []
        first_national = ""
        for i in range(rng.choice((1, 1, 2))):
            phone_region = region if i == 0 or rng.random() < 0.7 else BOOK_REGION
            number = _phone_number(rng, phone_region)
            if i == 0:
                first_national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            kind: str | None = rng.choice(["mobile", "work", "home", None])
            phones.append(PhoneEntry(_format_phone(rng, number, phone_region), label=kind, primary=i == 0))

        birthday = None
        roll = rng.random()
        if roll < 0.05:
            birthday = f"--{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        elif roll < 0.35:
            birthday = f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

        notes = None
        if rng.random() < 0.2:
            notes = rng.choice(NOTES).format(event=rng.choice(EVENTS), topic=rng.choice(TOPICS),
                                             friend=rng.choice(NAMES["US"][0]), year=rng.randint(2010, 2024))

        labels = rng.sample(LABELS, rng.choice((0, 0, 1, 1, 1, 2, 2, 3)))
        record = ContactRecord(
            uid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            formatted_name=formatted,
            given_name=given,
            family_name=family,
            organization=org.name if org else None,
            department=rng.choice(DEPARTMENTS) if org and rng.random() < 0.3 else None,
            title=rng.choice(TITLES) if rng.random() < 0.7 else None,
            birthday=birthday,
            emails=emails,
            phones=phones,
            labels=labels,
            notes=notes,
            starred=rng.random() < 0.03,
        )
        return Generated(record, region, first_national)


@dataclass(frozen=True)
class Query:
    """A search query, its kind (for per-kind figures), and the uid it was made from (if any)."""

    text: str
    kind: str
    uid: str | None = None


QUERY_KINDS = ("name prefix", "full name", "email", "org", "phone", "label", "two words")


def queries(contacts: list[Generated], count: int = 210, seed: int = SEED) -> list[Query]:
    """About `count` varied queries over these contacts, the same kinds in equal shares, interleaved."""
    rng = random.Random(seed + 2)
    per_kind = max(count // len(QUERY_KINDS), 1)
    by_kind: dict[str, list[Query]] = {kind: [] for kind in QUERY_KINDS}
    for kind in QUERY_KINDS:
        for _ in range(per_kind):
            by_kind[kind].append(_query(rng, kind, rng.choice(contacts)))
    # Interleave so any prefix of the list (e.g. the CLI subset) mixes every kind.
    return [by_kind[k][i] for i in range(per_kind) for k in QUERY_KINDS]


def _query(rng: random.Random, kind: str, g: Generated) -> Query:
    r = g.record
    if kind == "name prefix":
        word = rng.choice([r.given_name or "", r.family_name or ""]).split()[0]
        return Query(word[: rng.randint(2, 4)] if len(word) > 2 else word, kind)
    if kind == "full name":
        return Query(r.formatted_name, kind, r.uid)
    if kind == "email":
        address = rng.choice(r.emails).address
        text = address if rng.random() < 0.5 else address.split("@")[0]
        return Query(f"email:{text}", kind, r.uid if "@" in text else None)
    if kind == "org":
        name = r.organization or rng.choice(_ORG_ROOTS)
        text = name.split()[0] if rng.random() < 0.6 else f'"{" ".join(name.split()[:2])}"'
        return Query(f"org:{text}", kind)
    if kind == "phone":
        return Query(g.national_phone, kind, r.uid)
    if kind == "label":
        label = rng.choice(LABELS)
        return Query(f'label:"{label}"' if " " in label or "'" in label else f"label:{label}", kind)
    # two words: a given name and the start of an org, a title or a family name
    word = (r.given_name or r.family_name or "").split()[0]
    other = rng.choice([w for w in ((r.organization or "").split()[:1] + (r.title or "").split()[:1]
                                    + [(r.family_name or "")[:3]]) if w] or [""])
    return Query(f"{word} {other}".strip(), kind, r.uid)

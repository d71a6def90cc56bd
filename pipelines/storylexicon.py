"""Names and event words aligned across English, Russian and Japanese, for story keys.

Each concept is one key (``e:kunashir``); its forms are word starts in English and Russian
(``кунашир`` also finds Кунашира, Кунаширу) and substrings in Japanese. The classes weigh
differently when two articles are compared (`pipelines.storykeys`):

- ``e:`` a named place, person or body: what a story is about;
- ``v:`` what happened (protest, drills, detention): tells two stories on one topic apart;
- ``c:`` a country: context nearly every article of a topic shares, so it weighs little.

The topic rules (``default_topics.toml``) already say *that* an article is about the Kuril
Islands in every language; this table says *which* island, actor and event, so articles
can be lined up across languages. Forms are lower case (NFKC, case-folded, ё as е).
"""

from __future__ import annotations

LEXICON: dict[str, tuple[str, ...]] = {
    # places
    "e:kunashir": ("kunashir", "кунашир", "国後", "クナシリ"),
    "e:iturup": ("iturup", "etorofu", "итуруп", "択捉", "エトロフ"),
    "e:shikotan": ("shikotan", "шикотан", "色丹", "シコタン"),
    "e:habomai": ("habomai", "khabomai", "хабомаи", "歯舞", "ハボマイ"),
    "e:kurils": (
        "kuril",
        "northern territories",
        "chishima",
        "курил",
        "северные территории",
        "北方領土",
        "北方四島",
        "千島",
        "クリル",
    ),
    "e:sakhalin": ("sakhalin", "сахалин", "サハリン", "樺太"),
    "e:hokkaido": ("hokkaido", "хоккайдо", "北海道"),
    "e:nemuro": ("nemuro", "немуро", "根室"),
    "e:rausu": ("rausu", "раусу", "羅臼"),
    "e:kamchatka": ("kamchatka", "камчат", "カムチャツカ"),
    "e:okhotsk": ("okhotsk", "охотск", "オホーツク"),
    "e:vladivostok": ("vladivostok", "владивосток", "ウラジオストク"),
    "e:tokyo": ("tokyo", "токио", "東京"),
    "e:moscow": ("moscow", "москв", "モスクワ"),
    "e:yuzhno_kurilsk": ("yuzhno-kurilsk", "южно-курильск", "ユジノクリリスク"),
    # people
    "e:putin": ("putin", "путин", "プーチン"),
    "e:lavrov": ("lavrov", "лавров", "ラブロフ"),
    "e:peskov": ("peskov", "песков", "ペスコフ"),
    "e:zakharova": ("zakharova", "захаров", "ザハロワ"),
    "e:medvedev": ("medvedev", "медведев", "メドベージェフ"),
    "e:limarenko": ("limarenko", "лимаренко", "リマレンコ"),
    "e:ishiba": ("ishiba", "исиба", "石破"),
    "e:takaichi": ("takaichi", "такаити", "高市"),
    "e:motegi": ("motegi", "мотеги", "茂木"),
    "e:hayashi": ("hayashi", "хаяси", "林官房長官", "林芳正"),
    # bodies
    "e:foreign_ministry": (
        "foreign ministry",
        "ministry of foreign affairs",
        "foreign minister",
        "мид",
        "министр иностранных дел",
        "外務省",
        "外相",
        "外務大臣",
    ),
    "e:defense_ministry": (
        "defense ministry",
        "defence ministry",
        "ministry of defense",
        "defense minister",
        "минобороны",
        "министерство обороны",
        "防衛省",
        "防衛相",
    ),
    "e:fisheries_agency": ("fisheries agency", "росрыболовств", "水産庁"),
    "e:coast_guard": ("coast guard", "береговая охрана", "海上保安", "海保"),
    "e:border_service": (
        "border guard",
        "border service",
        "погранич",
        "国境警備",
    ),
    "e:pacific_fleet": ("pacific fleet", "тихоокеанск", "太平洋艦隊"),
    "e:embassy": ("embassy", "ambassador", "посольств", "посол", "大使館", "大使"),
    "e:chief_cabinet_secretary": ("chief cabinet secretary", "генсекретар", "官房長官"),
    "e:former_residents": (
        "former resident",
        "former island resident",
        "бывших жител",
        "бывшие жител",
        "元島民",
    ),
    "e:duma": ("state duma", "госдум", "下院"),
    "e:diet": ("diet", "парламент японии", "国会"),
    # countries
    "c:japan": ("japan", "япони", "японск", "日本", "日露", "日ロ"),
    "c:russia": ("russia", "росси", "ロシア", "ロ外務省", "露外務省"),
    "c:china": ("china", "chinese", "кита", "中国"),
    "c:us": ("united states", "washington", "сша", "米国", "アメリカ"),
    "c:ukraine": ("ukrain", "украин", "ウクライナ"),
    # what happened
    "v:protest": ("protest", "протест", "抗議"),
    "v:rally": ("rally", "rallies", "demonstrat", "митинг", "集会", "デモ", "大会"),
    "v:drills": ("drill", "exercise", "учени", "演習", "訓練"),
    "v:visit": ("visit", "визит", "посети", "посещ", "訪問", "訪れ", "視察"),
    "v:talks": ("talks", "negotiat", "переговор", "консультац", "協議", "会談", "交渉"),
    "v:phone_call": ("phone", "telephone", "телефон", "電話"),
    "v:statement": ("statement", "заявлени", "談話", "声明"),
    "v:detention": (
        "detain",
        "seize",
        "seizure",
        "arrest",
        "задерж",
        "арест",
        "拿捕",
        "拘束",
        "逮捕",
    ),
    "v:fishing": ("fishing", "fisherm", "рыбак", "рыболов", "рыбопромысл", "漁"),
    "v:earthquake": ("earthquake", "quake", "землетрясен", "地震"),
    "v:tsunami": ("tsunami", "цунами", "津波"),
    "v:missile": ("missile", "ракет", "ミサイル"),
    "v:deployment": ("deploy", "размещ", "размест", "配備"),
    "v:construction": ("construct", "строител", "строительств", "建設"),
    "v:investment": ("invest", "инвест", "投資"),
    "v:treaty": ("treaty", "договор", "条約"),
    "v:visa_free": ("visa-free", "visa free", "безвизов", "ビザなし"),
    "v:grave_visits": ("grave", "cemeter", "могил", "кладбищ", "墓参"),
    "v:sanctions": ("sanction", "санкци", "制裁"),
    "v:airspace": ("airspace", "воздушн", "領空"),
    "v:aircraft": ("aircraft", "plane", "jet", "самолет", "истребител", "航空機", "戦闘機"),
    "v:vessel": ("vessel", "ship", "boat", "судн", "корабл", "船"),
    "v:storm": ("storm", "typhoon", "cyclone", "шторм", "циклон", "тайфун", "台風", "低気圧"),
    "v:power_outage": ("power outage", "blackout", "отключени", "электроснабж", "停電"),
    "v:election": ("election", "vote", "выбор", "голосован", "選挙"),
    "v:airport": ("airport", "аэропорт", "空港"),
    "v:quota": ("quota", "квот", "漁獲枠"),
    "v:anniversary": ("anniversar", "годовщин", "周年"),
    "v:ceremony": ("ceremony", "церемони", "式典"),
    "v:tourism": ("touris", "турист", "観光"),
}
"""Concept key -> its forms in every language (word starts, or Japanese substrings)."""

WEIGHTS = {"e": 1.0, "v": 1.5, "c": 0.2, "t": 0.2, "n": 1.5, "m": 0.4, "y": 0.3, "d": 0.5}
"""Weight of a key by class: entities, events, countries, topics, numbers (``n`` a figure,
``m`` a small number such as a day of the month, ``y`` a year), dates named (``d``)."""

INDEXED = frozenset({"e", "v"})
"""Key classes a new article looks up candidates by (countries and numbers are too common)."""

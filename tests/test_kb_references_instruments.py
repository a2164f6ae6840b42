"""References (artists and songs people name) and instruments (all of General MIDI plus the
words people use): counts, lookups, uniqueness, and errors that name file, id and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import paths
from assistant.errors import KnowledgeError
from assistant.kb.loader import Knowledge, _norm, load_knowledge

SHIPPED = paths.shipped_knowledge_dir()

# General MIDI Level 1 sound set, program 1-128 there, 0-127 here.
GM = (
    "Acoustic Grand Piano|Bright Acoustic Piano|Electric Grand Piano|Honky-tonk Piano|"
    "Electric Piano 1|Electric Piano 2|Harpsichord|Clavi|Celesta|Glockenspiel|Music Box|"
    "Vibraphone|Marimba|Xylophone|Tubular Bells|Dulcimer|Drawbar Organ|Percussive Organ|"
    "Rock Organ|Church Organ|Reed Organ|Accordion|Harmonica|Tango Accordion|"
    "Acoustic Guitar (nylon)|Acoustic Guitar (steel)|Electric Guitar (jazz)|"
    "Electric Guitar (clean)|Electric Guitar (muted)|Overdriven Guitar|Distortion Guitar|"
    "Guitar harmonics|Acoustic Bass|Electric Bass (finger)|Electric Bass (pick)|Fretless Bass|"
    "Slap Bass 1|Slap Bass 2|Synth Bass 1|Synth Bass 2|Violin|Viola|Cello|Contrabass|"
    "Tremolo Strings|Pizzicato Strings|Orchestral Harp|Timpani|String Ensemble 1|"
    "String Ensemble 2|SynthStrings 1|SynthStrings 2|Choir Aahs|Voice Oohs|Synth Voice|"
    "Orchestra Hit|Trumpet|Trombone|Tuba|Muted Trumpet|French Horn|Brass Section|SynthBrass 1|"
    "SynthBrass 2|Soprano Sax|Alto Sax|Tenor Sax|Baritone Sax|Oboe|English Horn|Bassoon|"
    "Clarinet|Piccolo|Flute|Recorder|Pan Flute|Blown Bottle|Shakuhachi|Whistle|Ocarina|"
    "Lead 1 (square)|Lead 2 (sawtooth)|Lead 3 (calliope)|Lead 4 (chiff)|Lead 5 (charang)|"
    "Lead 6 (voice)|Lead 7 (fifths)|Lead 8 (bass + lead)|Pad 1 (new age)|Pad 2 (warm)|"
    "Pad 3 (polysynth)|Pad 4 (choir)|Pad 5 (bowed)|Pad 6 (metallic)|Pad 7 (halo)|Pad 8 (sweep)|"
    "FX 1 (rain)|FX 2 (soundtrack)|FX 3 (crystal)|FX 4 (atmosphere)|FX 5 (brightness)|"
    "FX 6 (goblins)|FX 7 (echoes)|FX 8 (sci-fi)|Sitar|Banjo|Shamisen|Koto|Kalimba|Bag pipe|"
    "Fiddle|Shanai|Tinkle Bell|Agogo|Steel Drums|Woodblock|Taiko Drum|Melodic Tom|Synth Drum|"
    "Reverse Cymbal|Guitar Fret Noise|Breath Noise|Seashore|Bird Tweet|Telephone Ring|"
    "Helicopter|Applause|Gunshot"
).split("|")

# The roles the arranger and the line-up rules read: these ids keep them.
ORIGINAL_ROLES = {
    "inst.drums": "drums", "inst.piano": "chords", "inst.bright-piano": "chords",
    "inst.electric-piano": "chords", "inst.fm-piano": "chords", "inst.clavinet": "chords",
    "inst.organ": "chords", "inst.rock-organ": "chords", "inst.church-organ": "pad",
    "inst.accordion": "melody", "inst.harmonica": "melody", "inst.nylon-guitar": "chords",
    "inst.acoustic-guitar": "chords", "inst.jazz-guitar": "chords", "inst.clean-guitar": "chords",
    "inst.muted-guitar": "chords", "inst.overdrive-guitar": "chords",
    "inst.distortion-guitar": "chords", "inst.banjo": "chords", "inst.sitar": "melody",
    "inst.acoustic-bass": "bass", "inst.bass": "bass", "inst.pick-bass": "bass",
    "inst.fretless-bass": "bass", "inst.slap-bass": "bass", "inst.synth-bass": "bass",
    "inst.808": "bass", "inst.contrabass": "bass", "inst.violin": "melody", "inst.cello": "melody",
    "inst.pizzicato": "chords", "inst.harp": "chords", "inst.timpani": "fx", "inst.strings": "pad",
    "inst.slow-strings": "pad", "inst.synth-strings": "pad", "inst.choir": "pad",
    "inst.voice-oohs": "pad", "inst.trumpet": "melody", "inst.muted-trumpet": "melody",
    "inst.french-horn": "melody", "inst.brass": "chords", "inst.synth-brass": "chords",
    "inst.alto-sax": "melody", "inst.tenor-sax": "melody", "inst.clarinet": "melody",
    "inst.flute": "melody", "inst.pan-flute": "melody", "inst.celesta": "melody",
    "inst.glockenspiel": "melody", "inst.music-box": "melody", "inst.vibraphone": "chords",
    "inst.marimba": "melody", "inst.kalimba": "melody", "inst.steel-drums": "melody",
    "inst.square-lead": "lead", "inst.saw-lead": "lead", "inst.new-age-pad": "pad",
    "inst.warm-pad": "pad", "inst.polysynth": "chords", "inst.choir-pad": "pad",
    "inst.bowed-pad": "pad", "inst.halo-pad": "pad", "inst.sweep-pad": "pad",
    "inst.atmosphere": "fx", "inst.reverse-cymbal": "fx",
}

# Words the brief asked for although they are everyday words too; the reader weighs context.
ALLOWED_COMMON = {"taylor", "beat", "sub", "acoustic", "keys", "horn", "brass"}


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge([SHIPPED])


def test_references_cover_many_artists_and_songs(kb: Knowledge) -> None:
    refs = kb.references
    assert len(refs) >= 150
    assert len([r for r in refs if r.kind == "song"]) >= 40
    assert len([r for r in refs if r.kind == "artist"]) >= 100
    genres = {r.genre for r in refs}
    for wanted in ("pop", "rock", "hip-hop", "trap", "rnb", "indie", "folk", "country", "edm",
                   "house", "lo-fi", "jazz", "blues", "metal", "punk", "funk", "disco", "reggae",
                   "reggaeton", "ambient", "cinematic", "ballad", "synthwave", "bossa-nova"):
        assert f"genre.{wanted}" in genres, wanted


def test_every_reference_states_a_sourced_fact(kb: Knowledge) -> None:
    for ref in kb.references:
        assert ref.fact.strip() and ref.source.strip() and ref.why.strip(), ref.id
        assert ref.kind == "artist" or ref.artist, ref.id
        assert 30 <= ref.tempo[0] <= ref.tempo[1] <= 300, ref.id
        assert ref.moods and ref.instruments, ref.id


def test_all_128_general_midi_programs_are_playable(kb: Knowledge) -> None:
    programs = {i.program for i in kb.instruments if i.role != "drums"}
    assert programs == set(range(128))
    for inst in kb.instruments:
        assert inst.family is not None, inst.id
        if inst.role == "drums":
            assert inst.gm_name == "", inst.id
        else:
            assert inst.gm_name == GM[inst.program], inst.id
        low, high = inst.pitch_range
        assert 0 <= low < high <= 127, inst.id


def test_existing_instruments_keep_their_roles(kb: Knowledge) -> None:
    for inst_id, role in ORIGINAL_ROLES.items():
        inst = kb.get(inst_id)
        assert getattr(inst, "role", None) == role, inst_id


def test_aliases_lead_to_one_entry_each(kb: Knowledge) -> None:
    owners: dict[str, str] = {}
    for inst in kb.instruments:
        for word in {_norm(w) for w in (inst.name, inst.id.split(".", 1)[1], *inst.aliases)}:
            assert owners.setdefault(word, inst.id) == inst.id, (word, inst.id, owners[word])
    owners = {}
    for ref in kb.references:
        for word in {_norm(w) for w in (ref.name, *ref.aliases)}:
            assert owners.setdefault(word, ref.id) == ref.id, (word, ref.id, owners[word])


def test_reference_words_are_not_other_vocabulary_or_everyday_words(kb: Knowledge) -> None:
    everyday = [
        line.strip() for line in (SHIPPED / "words_en.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ][:3000] if (SHIPPED / "words_en.txt").exists() else []
    common = set(everyday) - ALLOWED_COMMON
    others = {**kb.instrument_words(), **kb.genre_words(), **kb.mood_words()}
    for word, ref in kb.reference_words().items():
        assert word not in others, (word, ref.id)
        assert word not in common, (word, ref.id)
    for word, inst in kb.instrument_words().items():
        if " " not in word:
            assert word not in common, (word, inst.id)
        assert word in ALLOWED_COMMON or word not in kb.genre_words(), (word, inst.id)
        assert word not in kb.mood_words(), (word, inst.id)


@pytest.mark.parametrize(
    ("word", "inst_id"),
    [
        ("rhodes", "inst.electric-piano"), ("Rhodes", "inst.electric-piano"),
        ("wurli", "inst.fm-piano"), ("Wurlitzer", "inst.fm-piano"),
        ("synth", "inst.polysynth"), ("synths", "inst.polysynth"), ("pads", "inst.warm-pad"),
        ("808", "inst.808"), ("808s", "inst.808"), ("sub bass", "inst.synth-bass"),
        ("horns", "inst.brass"), ("brass", "inst.brass"), ("strings", "inst.strings"),
        ("choir", "inst.choir"), ("voices", "inst.choir"), ("uke", "inst.ukulele"),
        ("ukulele", "inst.ukulele"), ("keys", "inst.piano"), ("keyboard", "inst.piano"),
        ("acoustic", "inst.acoustic-guitar"), ("electric guitar", "inst.clean-guitar"),
        ("distorted guitar", "inst.distortion-guitar"), ("sax", "inst.tenor-sax"),
        ("saxophone", "inst.tenor-sax"), ("trumpet", "inst.trumpet"), ("fiddle", "inst.fiddle"),
        ("violin", "inst.violin"), ("hammond", "inst.organ"), ("B3", "inst.organ"),
        ("claps", "inst.drums"), ("handclaps", "inst.drums"), ("shaker", "inst.drums"),
        ("congas", "inst.drums"), ("drum machine", "inst.drums"), ("beat", "inst.drums"),
        ("bass guitar", "inst.bass"), ("upright bass", "inst.acoustic-bass"),
        ("double bass", "inst.acoustic-bass"), ("banjo", "inst.banjo"),
        ("mandolin", "inst.mandolin"), ("harmonica", "inst.harmonica"),
        ("glockenspiel", "inst.glockenspiel"), ("music box", "inst.music-box"),
        ("vibraphone", "inst.vibraphone"), ("marimba", "inst.marimba"),
        ("kalimba", "inst.kalimba"), ("steel pan", "inst.steel-drums"), ("sitar", "inst.sitar"),
        ("bagpipes", "inst.bagpipes"), ("inst.piano", "inst.piano"), ("piano", "inst.piano"),
        ("Electric Piano 1", "inst.electric-piano"), ("oboe", "inst.oboe"),
    ],
)
def test_instrument_lookup_by_the_words_people_use(kb: Knowledge, word: str, inst_id: str) -> None:
    found = kb.instrument(word)
    assert found is not None and found.id == inst_id, (word, found and found.id)


def test_instrument_words_table_for_the_reader(kb: Knowledge) -> None:
    words = kb.instrument_words()
    assert words["rhodes"].id == "inst.electric-piano"
    assert words["synths"].id == "inst.polysynth"
    assert words["congas"].id == "inst.drums"
    assert words["piano"].id == "inst.piano"
    assert kb.instrument("kazoo-9000") is None
    assert kb.instrument("") is None


def test_ukulele_says_how_general_midi_plays_it(kb: Knowledge) -> None:
    uke = kb.instrument("uke")
    assert uke is not None and uke.program == 24 and uke.pitch_range[0] >= 60
    assert "General MIDI has no ukulele" in uke.why


@pytest.mark.parametrize(
    ("text", "ref_id"),
    [
        ("Billie Eilish", "ref.billie-eilish"), ("billie eillish", "ref.billie-eilish"),
        ("the weeknd", "ref.the-weeknd"), ("the weekend", "ref.the-weeknd"),
        ("weeknd", "ref.the-weeknd"), ("Taylor Swift", "ref.taylor-swift"),
        ("tswift", "ref.taylor-swift"), ("bon iver", "ref.bon-iver"),
        ("Someone Like You", "ref.someone-like-you"), ("Beyonce", "ref.beyonce"),
        ("Beyoncé", "ref.beyonce"), ("AC/DC", "ref.ac-dc"), ("acdc", "ref.ac-dc"),
        ("stayin alive", "ref.stayin-alive"), ("Guns N' Roses", "ref.guns-n-roses"),
        ("lofi girl", "ref.lofi-girl"), ("Clair de Lune", "ref.clair-de-lune"),
    ],
)
def test_reference_lookup(kb: Knowledge, text: str, ref_id: str) -> None:
    found = kb.find_reference(text)
    assert found is not None and found.id == ref_id, (text, found and found.id)


def test_song_facts_carry_meter_when_famous(kb: Knowledge) -> None:
    take_five = kb.find_reference("take five")
    assert take_five is not None and take_five.meter == "5/4" and take_five.kind == "song"
    assert kb.find_reference("clair de lune").meter == "9/8"  # type: ignore[union-attr]
    assert kb.find_reference("no such band at all") is None


# --- errors name the file, the entry id and the field ---
def _folder_with(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "refs.toml").write_text(text)
    return folder


_REF = """
[[reference]]
id = "ref.my-band"
name = "My Band"
kind = "artist"
genre = "{genre}"
tempo = [80, 120]
modes = ["major"]
moods = ["{mood}"]
instruments = ["{inst}"]
aliases = [{aliases}]
fact = "A band I made up for this test."
source = "{source}"
why = "Tests the checks."
"""


def _ref(genre: str = "genre.pop", mood: str = "mood.happy", inst: str = "inst.piano",
         aliases: str = "", source: str = "me") -> str:
    return _REF.format(genre=genre, mood=mood, inst=inst, aliases=aliases, source=source)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (_ref(genre="genre.polka-core"), "genre"),
        (_ref(mood="mood.hangry"), "moods"),
        (_ref(inst="inst.theremin-9000"), "instruments"),
        (_ref(aliases='"tswift"'), "aliases"),
        (_ref(source=""), "source"),
        (_ref().replace('tempo = [80, 120]', 'tempo = [120, 80]'), "tempo"),
        (_ref().replace('kind = "artist"', 'kind = "song"'), None),
    ],
)
def test_a_malformed_reference_names_file_id_and_field(tmp_path: Path, text: str,
                                                      field: str | None) -> None:
    folder = _folder_with(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([SHIPPED, folder])
    error = caught.value
    assert error.file.endswith("refs.toml")
    assert error.entry_id == "ref.my-band"
    if field is not None:
        assert error.field == field


def test_an_instrument_alias_taken_twice_is_named(tmp_path: Path) -> None:
    folder = _folder_with(
        tmp_path,
        '[[instrument]]\nid = "inst.my-keys"\nname = "my keys"\nrole = "chords"\n'
        'aliases = ["rhodes"]\nwhy = "mine"\n',
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([SHIPPED, folder])
    assert (caught.value.entry_id, caught.value.field) == ("inst.my-keys", "aliases")
    assert "inst.electric-piano" in str(caught.value)


def test_a_broken_shipped_reference_names_its_file(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    shutil.copytree(SHIPPED, folder)
    path = folder / "references.toml"
    text = path.read_text()
    start = text.index('id = "ref.bon-iver"')
    at = text.index('genre = "genre.folk"', start)
    path.write_text(text[:at] + 'genre = "genre.chamber-folk"' + text[at + len('genre = "genre.folk"'):])
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([folder])
    assert caught.value.file.endswith("references.toml")
    assert (caught.value.entry_id, caught.value.field) == ("ref.bon-iver", "genre")

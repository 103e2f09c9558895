"""The closed vocabulary of the shapes world and its canonical palette."""

COLORS = {
    "red": (220, 40, 40),
    "orange": (245, 140, 25),
    "yellow": (245, 215, 35),
    "green": (45, 160, 60),
    "blue": (40, 90, 220),
    "purple": (135, 60, 185),
    "pink": (245, 135, 195),
    "brown": (125, 75, 35),
    "black": (24, 24, 24),
    "white": (248, 248, 248),
    "gray": (128, 128, 128),
}
COLOR_NAMES = tuple(COLORS)
DEFAULT_BACKGROUND = "white"

BASIC_SHAPES = ("circle", "square", "triangle", "star", "heart", "cross")
PLURALS = {
    "circle": "circles",
    "square": "squares",
    "triangle": "triangles",
    "star": "stars",
    "heart": "hearts",
    "cross": "crosses",
}
LETTERS = tuple(chr(c) for c in range(ord("A"), ord("Z") + 1))
LETTER_SHAPES = tuple("letter-" + c for c in LETTERS)
SHAPES = BASIC_SHAPES + LETTER_SHAPES

SIZES = ("small", "medium", "large")
DEFAULT_SIZE = "medium"

PLACES = (
    "left",
    "right",
    "top",
    "bottom",
    "center",
    "top-left",
    "top-right",
    "bottom-left",
    "bottom-right",
)
RELATIONS = ("left-of", "right-of", "above", "below")
INVERSE_RELATION = {
    "left-of": "right-of",
    "right-of": "left-of",
    "above": "below",
    "below": "above",
}

MAX_OBJECTS = 4
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}


def is_letter(shape):
    return shape.startswith("letter-")

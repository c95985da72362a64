"""Drawn people to dress: 64×64 figures wearing the catalog's own garments, with label maps.

These people are drawn, not photographed: a figure is capsules and polygons (head, neck, torso,
arms, legs, feet) in a pose and proportions drawn from a seed, with a skin tone, hair and a
plain background. Each garment is one of the catalog's coloured, patterned 32×32 product photos,
cropped to its silhouette and stretched over the body region it covers (a top over the torso
and sleeves, trousers over the legs, shoes over the feet), so its colour and pattern come from
the item itself.

Because a picture is a function of (person, garments), the same person in the same pose can be
drawn wearing any other garment: the paired ground truth try-on is measured against. Labels:
0 background, 1 skin, 2 hair, 3 top, 4 bottom, 5 shoes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 64
LABELS = ("background", "skin", "hair", "top", "bottom", "shoes")
BACKGROUND, SKIN, HAIR, TOP, BOTTOM, SHOES = range(6)
SLOT_LABELS = {"top": TOP, "bottom": BOTTOM, "shoes": SHOES}  # each garment slot's label
GARMENT_LAYERS = ("bottom", "shoes", "top")  # the order dress() paints the slots in, back to front
DRAWN_OVER_GARMENTS = ("hand_left", "hand_right", "head", "hair")  # body parts dress() paints after them
TOPS = ("t-shirt", "shirt", "pullover", "coat", "dress")
BOTTOMS = ("trousers",)
FOOTWEAR = ("sneakers", "sandals", "ankle boots")
LONG_SLEEVES = ("shirt", "pullover", "coat")
SKIN_TONES = np.array([[255, 224, 196], [241, 194, 157], [224, 172, 130], [198, 134, 94], [161, 102, 64],
                       [120, 75, 45], [90, 56, 37]], np.float32)
HAIR_COLOURS = np.array([[20, 16, 14], [60, 40, 25], [110, 75, 40], [180, 140, 80], [220, 200, 150],
                         [150, 60, 30], [130, 130, 130]], np.float32)
_Y, _X = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + 0.5  # pixel centres


@dataclass(frozen=True)
class Person:
    """Body, pose and looks; everything but the clothes."""

    skin: tuple[float, float, float]
    hair: tuple[float, float, float]
    hair_style: int            # 0 short, 1 long, 2 bun
    background: tuple[float, float, float]
    centre: float              # x of the body's axis
    top_y: float               # y of the crown
    scale: float               # body height, relative
    girth: float               # shoulder and hip width, relative
    arms: tuple[float, float]  # each arm's angle from hanging straight down (radians, outwards positive)
    legs: tuple[float, float]  # each leg's angle from vertical (radians, outwards positive)


def draw_person(rng: np.random.Generator) -> Person:
    background = tuple(float(v) for v in rng.uniform(200, 250, 3))
    return Person(tuple(float(v) for v in SKIN_TONES[rng.integers(len(SKIN_TONES))]),
                  tuple(float(v) for v in HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))]),
                  int(rng.integers(3)), background, float(rng.uniform(29, 35)), float(rng.uniform(2, 5)),
                  float(rng.uniform(0.88, 1.0)), float(rng.uniform(0.85, 1.2)),
                  (float(rng.uniform(0.05, 0.7)), float(rng.uniform(0.05, 0.7))),
                  (float(rng.uniform(0.0, 0.25)), float(rng.uniform(0.0, 0.25))))


def _capsule(a: tuple[float, float], b: tuple[float, float], radius: float) -> np.ndarray:
    """Pixels within `radius` of the segment a–b ((x, y) points)."""
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = np.clip(((_X - ax) * dx + (_Y - ay) * dy) / max(dx * dx + dy * dy, 1e-6), 0, 1)
    return (_X - ax - t * dx) ** 2 + (_Y - ay - t * dy) ** 2 <= radius * radius


def _quad(top_y: float, bottom_y: float, top_half: float, bottom_half: float, centre: float) -> np.ndarray:
    """A trapezoid symmetric about x = centre, from top_y to bottom_y."""
    t = np.clip((_Y - top_y) / max(bottom_y - top_y, 1e-6), 0, 1)
    half = top_half + t * (bottom_half - top_half)
    return (_Y >= top_y) & (_Y < bottom_y) & (np.abs(_X - centre) <= half)


@dataclass
class Body:
    """The figure's parts as masks, and the joints garments are fitted to."""

    parts: dict[str, np.ndarray]
    shoulder_y: float
    hip_y: float
    knee_y: float
    ankle_y: float
    elbows: list[tuple[float, float]]


def body_of(p: Person) -> Body:
    s, c = p.scale, p.centre
    head_r = 5.2 * s
    head_y = p.top_y + head_r
    neck_y = head_y + head_r
    shoulder_y = neck_y + 2.0 * s
    hip_y = shoulder_y + 17 * s
    ankle_y = min(hip_y + 24 * s, SIZE - 4.0)
    knee_y = (hip_y + ankle_y) / 2
    shoulder_half, hip_half = 8.0 * p.girth * s, 6.5 * p.girth * s
    parts = {"head": _capsule((c, head_y), (c, head_y), head_r),
             "neck": _capsule((c, neck_y - 1), (c, shoulder_y), 1.8 * s),
             "torso": _quad(shoulder_y, hip_y, shoulder_half, hip_half, c)
             | _capsule((c - shoulder_half + 1.5, shoulder_y + 1.5), (c + shoulder_half - 1.5, shoulder_y + 1.5),
                        1.8)}
    elbows = []
    arm_len = 9.5 * s
    for side, angle in ((-1, p.arms[0]), (1, p.arms[1])):
        shoulder = (c + side * (shoulder_half - 1.5), shoulder_y + 2.0)
        elbow = (shoulder[0] + side * arm_len * np.sin(angle), shoulder[1] + arm_len * np.cos(angle))
        wrist = (elbow[0] + side * arm_len * np.sin(angle * 0.6), elbow[1] + arm_len * np.cos(angle * 0.6))
        name = "left" if side < 0 else "right"
        parts[f"upper_arm_{name}"] = _capsule(shoulder, elbow, 2.2 * s)
        parts[f"forearm_{name}"] = _capsule(elbow, wrist, 1.9 * s)
        parts[f"hand_{name}"] = _capsule(wrist, (wrist[0] + side * 0.5, wrist[1] + 1.6), 1.6 * s)
        elbows.append(elbow)
    for side, angle in ((-1, p.legs[0]), (1, p.legs[1])):
        hip = (c + side * hip_half * 0.5, hip_y)
        ankle = (hip[0] + side * (ankle_y - hip_y) * np.sin(angle), ankle_y)
        name = "left" if side < 0 else "right"
        parts[f"leg_{name}"] = _capsule(hip, ankle, 3.0 * s) & (_Y >= hip_y - 1)
        parts[f"foot_{name}"] = _capsule((ankle[0], ankle[1] + 1.5), (ankle[0] + side * 2.5, ankle[1] + 2.0),
                                         1.9 * s)
    crown = _capsule((c, head_y - 1.5), (c, head_y - 1.5), head_r + 0.6) & (_Y < head_y - 0.5)
    if p.hair_style == 1:  # long: down past the jaw on both sides of the face
        outer = _quad(head_y - 1, head_y + head_r + 4, head_r + 0.8, head_r + 1.5, c)
        face = _quad(head_y - 1, head_y + head_r + 4, head_r - 1.2, head_r - 0.8, c)
        hair = crown | (outer & ~face)
    elif p.hair_style == 2:  # a bun on top
        hair = crown | _capsule((c, p.top_y - 1.0), (c, p.top_y - 1.0), 2.6 * s)
    else:
        hair = crown
    parts["hair"] = hair
    return Body(parts, shoulder_y, hip_y, knee_y, ankle_y, elbows)


def garment_region(body: Body, category: str) -> np.ndarray:
    """The pixels a garment of this category covers on this body (before anything on top of it)."""
    parts = body.parts
    if category in TOPS:
        region = parts["torso"].copy()
        for side in ("left", "right"):
            upper = parts[f"upper_arm_{side}"]
            if category in LONG_SLEEVES:
                region |= upper | parts[f"forearm_{side}"]
            else:  # short sleeves: the upper arm's half nearest the shoulder
                region |= upper & (_Y <= (body.shoulder_y + body.elbows[0 if side == "left" else 1][1]) / 2 + 1)
        # a coat hangs to mid-thigh, a dress flares to the knee: a skirt below the hips
        skirt = {"coat": (body.knee_y - 2, 2.0), "dress": (body.knee_y + 2, 4.5)}.get(category)
        if skirt is not None:
            hips = _half_width(parts["torso"], body.hip_y - 2)
            region |= _quad(body.hip_y - 1, skirt[0], hips + 0.5, hips + skirt[1], _torso_centre(parts["torso"]))
        return region
    if category in BOTTOMS:
        return parts["leg_left"] | parts["leg_right"] | (parts["torso"] & (_Y >= body.hip_y - 3))  # and the waist
    if category in FOOTWEAR:
        feet = parts["foot_left"] | parts["foot_right"]
        if category == "ankle boots":
            feet |= (parts["leg_left"] | parts["leg_right"]) & (_Y >= body.ankle_y - 3.5)
        return feet
    raise ValueError(f"no body region for a {category!r}; wearable: {', '.join(TOPS + BOTTOMS + FOOTWEAR)}")


def _torso_centre(torso: np.ndarray) -> float:
    return float(_X[torso].mean())


def _half_width(torso: np.ndarray, y: float) -> float:
    row = torso[int(np.clip(y, 0, SIZE - 1))]
    return float(row.sum()) / 2 if row.any() else 4.0


def fabric(photo: np.ndarray, region: np.ndarray) -> np.ndarray:
    """(H, W, 3) float, the region's shape: the product photo's garment stretched over its bounding
    box (nearest neighbour, so patterns stay crisp); its white backdrop replaced by the garment's
    median colour."""
    photo = photo.astype(np.float32)
    garment = (photo < 245).any(axis=2)
    if not garment.any():
        garment[:] = True
    rows, cols = np.where(garment)
    crop = photo[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    inside = garment[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    crop = np.where(inside[..., None], crop, np.median(photo[garment], axis=0))
    out = np.zeros((*region.shape, 3), np.float32)
    if not region.any():
        return out
    ys, xs = np.where(region)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    ry = ((np.arange(y0, y1) - y0 + 0.5) * crop.shape[0] / (y1 - y0)).astype(int).clip(0, crop.shape[0] - 1)
    rx = ((np.arange(x0, x1) - x0 + 0.5) * crop.shape[1] / (x1 - x0)).astype(int).clip(0, crop.shape[1] - 1)
    out[y0:y1, x0:x1] = crop[ry][:, rx]
    return out


def dress(person: Person, garments: dict[str, tuple[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """(picture (SIZE, SIZE, 3) uint8, labels (SIZE, SIZE) uint8) of the person wearing
    `garments`: {"top": (category, photo), "bottom": …, "shoes": …}; a dress as the top leaves no
    bottom. Layers, back to front: skin, bottom, shoes, top, hands, head, hair."""
    body = body_of(person)
    parts = body.parts
    image = np.empty((SIZE, SIZE, 3), np.float32)
    image[:] = person.background
    labels = np.zeros((SIZE, SIZE), np.uint8)

    def paint(mask, colour, label):
        image[mask] = colour[mask] if np.ndim(colour) == 3 else colour
        labels[mask] = label

    skin = np.asarray(person.skin, np.float32)
    body_skin = parts["neck"] | parts["torso"] | parts["leg_left"] | parts["leg_right"] | parts["foot_left"] \
        | parts["foot_right"] | parts["upper_arm_left"] | parts["upper_arm_right"] | parts["forearm_left"] \
        | parts["forearm_right"]
    paint(body_skin, skin, SKIN)
    for slot in GARMENT_LAYERS:
        if slot in garments:
            category, photo = garments[slot]
            region = garment_region(body, category)
            paint(region, fabric(photo, region), SLOT_LABELS[slot])
    paint(parts["hand_left"] | parts["hand_right"] | parts["head"], skin, SKIN)
    paint(parts["hair"], np.asarray(person.hair, np.float32), HAIR)
    return image.round().clip(0, 255).astype(np.uint8), labels

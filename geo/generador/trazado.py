"""Trazado del distrito de ejemplo: manzanas, lotes, vías, celdas y áreas verdes.

Todo se dibuja primero en coordenadas locales (metros; origen en el extremo sur del eje de
Av. San Martín, x al este, y al norte) y al final se traslada a EPSG:32718.

La trama urbana se deforma con dos cizallas (transformaciones que conservan el área): las
transversales al este de Jr. Mariscal Castilla quedan en diagonal y las longitudinales ondulan
suavemente. Los centros poblados de la zona B se dibujan en un marco propio (la vía central
como eje) y se giran sobre la carretera; las chacras forman una trama rural al norte.

Los lotes se construyen por medias manzanas: cada media manzana es un cuadrilátero con su
frente sobre una vía y su fondo en el eje de la manzana (o en el río); se corta en franjas de
ancho variable con fondos levemente oblicuos, de modo que los lotes cubren la manzana sin huecos
ni solapes y comparten exactamente sus linderos.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

# ---------------------------------------------------------------------------------------------
# Estructuras
# ---------------------------------------------------------------------------------------------


@dataclass
class Media:
    """Media manzana (o manzana entera en modo "una sola cara"): frente A→B, fondo D→C."""

    A: np.ndarray
    B: np.ndarray
    C: np.ndarray
    D: np.ndarray
    region: str
    marco: str  # "urbano" | "rural" | nombre del centro poblado
    celda: int  # índice de celda urbana, o -1
    manzana: int
    via: str
    tipo_via: str
    cuadra: int
    par: bool  # numeración par (True) o impar
    ochava_a: float = 0.0
    ochava_b: float = 0.0
    fijo: int | None = None  # cantidad de lotes fijada (medias reservadas para lotes grandes)
    reservada: str = ""  # "ph" | "grande" | ""

    @property
    def frente_m(self) -> float:
        return float(np.hypot(*(self.B - self.A)))


@dataclass
class Trazado:
    """Resultado geométrico, aún en coordenadas locales salvo ``trasladar``."""

    medias: list[Media] = field(default_factory=list)
    vias: list[dict] = field(default_factory=list)  # geometry, nombre, tipo, cuadra, ancho_m, marco
    celdas: list[dict] = field(default_factory=list)  # geometry, col, fila, region
    centros: list[dict] = field(default_factory=list)  # geometry, nombre
    areas_verdes: list[dict] = field(default_factory=list)
    manzanas: int = 0
    deformacion: dict = field(default_factory=dict)
    marcos: dict = field(default_factory=dict)  # nombre del centro -> (centro, dir, perp)
    plaza: np.ndarray | None = None


# ---------------------------------------------------------------------------------------------
# Utilidades geométricas
# ---------------------------------------------------------------------------------------------


def _rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)


def _linea(*puntos) -> shapely.LineString:
    return shapely.linestrings(np.asarray(puntos, dtype=float))


def _octogono(cx: float, cy: float, area: float) -> shapely.Polygon:
    # área de un octógono regular de circunradio R: 2·√2·R²
    r = math.sqrt(area / (2 * math.sqrt(2)))
    ang = np.arange(8) * np.pi / 4 + np.pi / 8
    return shapely.polygons(np.c_[cx + r * np.cos(ang), cy + r * np.sin(ang)])


def deformar_urbano(xy: np.ndarray, p: dict) -> np.ndarray:
    """Cizalla de diagonales + ondulación suave. Ambas conservan el área (jacobiano 1)."""
    x, y = xy[:, 0], xy[:, 1]
    y2 = y + p["cizalla"] * np.clip(x - p["x0"], 0.0, p["x1"] - p["x0"])
    x2 = x + p["amp"] * np.sin(2 * np.pi * (y2 - p["y0"]) / p["periodo"])
    return np.c_[x2, y2]


def _medias_de_bloque(esq: np.ndarray, modo: str, rng: np.random.Generator):
    """Divide una manzana (SO, SE, NE, NO) en medias manzanas.

    Devuelve tuplas (lado, A, B, C, D): lado es la cara de la manzana donde está el frente.
    """
    so, se, ne, no = esq
    if modo == "NS":  # frentes a las longitudinales (oeste y este)
        s1, s2 = rng.uniform(0.42, 0.58, 2)
        ms, mn = so + s1 * (se - so), no + s2 * (ne - no)
        return [("O", so, no, mn, ms), ("E", se, ne, mn, ms)]
    if modo == "EO":  # frentes a las transversales (sur y norte)
        s1, s2 = rng.uniform(0.42, 0.58, 2)
        mo, me = so + s1 * (no - so), se + s2 * (ne - se)
        return [("S", so, se, me, mo), ("N", no, ne, me, mo)]
    if modo == "E":  # una sola cara, al este (la espalda da al río)
        return [("E", se, ne, no, so)]
    raise ValueError(modo)


def _franjas(m: Media, n: int, anchos_m: tuple[float, float], rng: np.random.Generator,
             interior: int | None):
    """Corta una media manzana en ``n`` lotes. Devuelve (anillos, frentes_m, esquinas, interior).

    ``interior``: índice del lote que se parte en frente + fondo (el fondo queda sin frente).
    """
    largo = m.frente_m
    medio = largo / n
    lo = max(0.55, anchos_m[0] / medio) if n > 1 else 1.0
    hi = min(1.45, anchos_m[1] / medio) if n > 1 else 1.0
    if lo >= hi:
        lo, hi = 0.9, 1.1
    w = rng.uniform(lo, hi, n)
    u = np.r_[0.0, np.cumsum(w) / w.sum()]
    u[-1] = 1.0
    v = u.copy()
    if n > 1:
        e = rng.normal(0.0, 0.9 / max(largo, 1.0), n - 1)  # ~0.9 m de oblicuidad en el fondo
        v[1:-1] = u[1:-1] + e
        v = np.maximum.accumulate(v)
    A, B, C, D = m.A, m.B, m.C, m.D
    F = A + u[:, None] * (B - A)
    K = D + v[:, None] * (C - D)
    anillos, frentes, esquinas, interiores = [], [], [], []
    for i in range(n):
        f0, f1, k1, k0 = F[i], F[i + 1], K[i + 1], K[i]
        frente = float(np.hypot(*(f1 - f0)))
        esquina = False
        pre: list[np.ndarray] = [f0]
        post: list[np.ndarray] = [f1]
        if i == 0:
            esquina = True
            lado = float(np.hypot(*(k0 - f0)))
            c = m.ochava_a
            if c > 0:
                pre = [f0 + c * (k0 - f0) / lado, f0 + c * (f1 - f0) / frente]
                frente += lado - 2 * c + c * math.sqrt(2)
            else:
                frente += lado
        if i == n - 1:
            esquina = True
            lado = float(np.hypot(*(k1 - f1)))
            c = m.ochava_b
            if c > 0:
                post = [f1 + c * (f0 - f1) / np.hypot(*(f0 - f1)), f1 + c * (k1 - f1) / lado]
                frente += lado - 2 * c + c * math.sqrt(2)
            else:
                frente += lado
        if interior is not None and i == interior:
            t = rng.uniform(0.5, 0.62)
            m0, m1 = f0 + t * (k0 - f0), f1 + t * (k1 - f1)
            anillos += [np.array(pre + post + [m1, m0]), np.array([m0, m1, k1, k0])]
            frentes += [frente, 0.0]
            esquinas += [esquina, False]
            interiores += [False, True]
        else:
            anillos.append(np.array(pre + post + [k1, k0]))
            frentes.append(frente)
            esquinas.append(esquina)
            interiores.append(False)
    return anillos, frentes, esquinas, interiores


def _repartir_enteros(total: int, pesos: np.ndarray) -> np.ndarray:
    """Reparte ``total`` en enteros proporcionales a ``pesos`` (mayor resto)."""
    pesos = np.asarray(pesos, dtype=float)
    if total <= 0 or len(pesos) == 0:
        return np.zeros(len(pesos), dtype=int)
    q = total * pesos / pesos.sum()
    n = np.floor(q).astype(int)
    resto = int(total - n.sum())
    orden = np.argsort(-(q - n), kind="stable")
    n[orden[:resto]] += 1
    return n


# ---------------------------------------------------------------------------------------------
# Trama urbana (zona A)
# ---------------------------------------------------------------------------------------------


def _trama_urbana(d: dict, rng: np.random.Generator, tz: Trazado) -> None:
    u = d["urbano"]
    L, T = u["longitudinales"], u["transversales"]
    nc, nf = len(L), len(T) - 1  # columnas (col 0 = junto al río) y filas
    wl = np.array([v["ancho_m"] for v in L])
    wt = np.array([v["ancho_m"] for v in T])
    anchos = rng.uniform(*u["ancho_manzana_m"], nc)
    anchos[0] = u["ancho_columna_rio_m"]
    fondos = rng.uniform(*u["fondo_manzana_m"], nf)
    pc, pf = u["plaza"]
    lado_plaza = math.sqrt(d["areas_verdes"]["plaza_mayor"]["area_m2"])
    anchos[pc] = lado_plaza
    fondos[pf] = lado_plaza

    # ejes de las longitudinales (xs) y transversales (ys)
    margen = u["margen_rio_m"]
    xs = np.zeros(nc)
    xs[0] = margen + anchos[0] + wl[0] / 2
    for j in range(1, nc):
        xs[j] = xs[j - 1] + wl[j - 1] / 2 + anchos[j] + wl[j] / 2
    xs -= xs[u["avenida"]]  # Av. San Martín en x = 0
    x_rio = xs[0] - wl[0] / 2 - anchos[0] - margen
    ys = np.zeros(nf + 1)
    for i in range(1, nf + 1):
        ys[i] = ys[i - 1] + wt[i - 1] / 2 + fondos[i - 1] + wt[i] / 2

    tz.deformacion = {
        "cizalla": u["cizalla"], "x0": xs[u["cizalla_desde"]], "x1": xs[-1],
        "amp": u["curva_amplitud_m"], "y0": ys[0], "periodo": ys[-1] - ys[0],
    }
    filas_malecon = {f: m for m in u["malecones"] for f in m["filas"]}
    pasajes = {(c, f): n for c, f, n in u["pasajes"]}
    cu0, cu1 = u["zona_urbana_columnas"]
    fu0, fu1 = u["zona_urbana_filas"]

    # --- malecones: faja verde entre el río y la vía del malecón
    malecon_x: dict[str, tuple[float, float]] = {}
    for m in u["malecones"]:
        f0, f1 = min(m["filas"]), max(m["filas"])
        ya, yb = ys[f0] + wt[f0] / 2, ys[f1 + 1] - wt[f1 + 1] / 2
        g = m["area_m2"] / (yb - ya)
        xm = x_rio + g + m["ancho_m"] / 2  # eje del malecón
        malecon_x[m["nombre"]] = (xm, m["ancho_m"])
        tz.areas_verdes.append({
            "geometry": shapely.polygons(_rect(x_rio, ya, x_rio + g, yb)), "nombre": m["nombre"],
            "tipo": "malecon", "area_mantenimiento_m2": m["mantenimiento_m2"], "marco": "urbano",
        })
        for k, f in enumerate(sorted(m["filas"])):
            tz.vias.append({"geometry": _linea((xm, ys[f]), (xm, ys[f + 1])), "nombre": m["nombre"],
                            "tipo": "malecon", "cuadra": k + 1, "ancho_m": m["ancho_m"],
                            "marco": "urbano"})

    # --- vías: una por cuadra
    for j in range(nc):
        for f in range(nf):
            tz.vias.append({"geometry": _linea((xs[j], ys[f]), (xs[j], ys[f + 1])),
                            "nombre": L[j]["nombre"], "tipo": L[j]["tipo"], "cuadra": f + 1,
                            "ancho_m": float(wl[j]), "marco": "urbano"})
    for i in range(nf + 1):
        for c in range(nc):
            x_a = x_rio + margen if c == 0 else xs[c - 1]
            if c == 0:
                m = filas_malecon.get(i) if filas_malecon.get(i - 1) is filas_malecon.get(i) else None
                if m is not None:  # transversal entre dos filas del mismo malecón
                    x_a = malecon_x[m["nombre"]][0]
            tz.vias.append({"geometry": _linea((x_a, ys[i]), (xs[c], ys[i])),
                            "nombre": T[i]["nombre"], "tipo": T[i]["tipo"], "cuadra": c + 1,
                            "ancho_m": float(wt[i]), "marco": "urbano"})

    # --- celdas y manzanas
    for c in range(nc):
        for f in range(nf):
            x_a = x_rio if c == 0 else xs[c - 1]
            celda = len(tz.celdas)
            centro = cu0 <= c <= cu1 and fu0 <= f <= fu1
            tz.celdas.append({"geometry": _rect(x_a, ys[f], xs[c], ys[f + 1]), "col": c,
                              "fila": f, "region": "centro" if centro else "periferia"})
            region = "centro" if centro else "periferia"
            ochava = u["ochava_m"] if centro else 0.0
            yb, yt = ys[f] + wt[f] / 2, ys[f + 1] - wt[f + 1] / 2
            xr = xs[c] - wl[c] / 2
            if c == 0:
                m = filas_malecon.get(f)
                xl = (malecon_x[m["nombre"]][0] + m["ancho_m"] / 2) if m else x_rio + margen
            else:
                xl = xs[c - 1] + wl[c - 1] / 2
            if (c, f) == (pc, pf):
                esq = _rect(xl, yb, xr, yt)
                tz.plaza = esq.mean(axis=0)
                pz = d["areas_verdes"]["plaza_mayor"]
                tz.areas_verdes.append({"geometry": shapely.polygons(esq), "nombre": pz["nombre"],
                                        "tipo": pz["tipo"], "marco": "urbano",
                                        "area_mantenimiento_m2": pz["mantenimiento_m2"]})
                continue

            def via_ns(lado: str, fila: int = f, col: int = c, malecon=None):
                if lado == "O":
                    if col == 0:
                        mm = filas_malecon[fila]
                        return mm["nombre"], "malecon", sorted(mm["filas"]).index(fila) + 1
                    return L[col - 1]["nombre"], L[col - 1]["tipo"], fila + 1
                return L[col]["nombre"], L[col]["tipo"], fila + 1

            bloques = []  # (y_sur, y_norte, via_sur, via_norte)
            if (c, f) in pasajes:
                ym = (yb + yt) / 2
                wp = u["ancho_pasaje_m"]
                nombre_p = pasajes[(c, f)]
                tz.vias.append({"geometry": _linea((xs[c - 1] if c else x_rio, (ys[f] + ys[f + 1]) / 2),
                                                   (xs[c], (ys[f] + ys[f + 1]) / 2)),
                                "nombre": nombre_p, "tipo": "pasaje", "cuadra": 1,
                                "ancho_m": wp, "marco": "urbano"})
                bloques.append((yb, ym - wp / 2, (T[f]["nombre"], T[f]["tipo"], c + 1),
                                (nombre_p, "pasaje", 1)))
                bloques.append((ym + wp / 2, yt, (nombre_p, "pasaje", 1),
                                (T[f + 1]["nombre"], T[f + 1]["tipo"], c + 1)))
                modos = ["EO", "EO"]
            else:
                bloques.append((yb, yt, (T[f]["nombre"], T[f]["tipo"], c + 1),
                                (T[f + 1]["nombre"], T[f + 1]["tipo"], c + 1)))
                if c == 0 and f not in filas_malecon:
                    modos = ["E"]
                else:
                    modos = ["NS" if rng.random() < 0.5 else "EO"]
            for (y0, y1, vs, vn), modo in zip(bloques, modos):
                esq = _rect(xl, y0, xr, y1) + rng.uniform(-1, 1, (4, 2)) * u["jitter_esquina_m"]
                mz = tz.manzanas
                tz.manzanas += 1
                for lado, A, B, C, D in _medias_de_bloque(esq, modo, rng):
                    if lado in ("O", "E"):
                        nombre, tipo, cuadra = via_ns(lado)
                    else:
                        nombre, tipo, cuadra = vs if lado == "S" else vn
                    tz.medias.append(Media(A, B, C, D, region, "urbano", celda, mz, nombre, tipo,
                                           cuadra, lado in ("E", "N"), ochava, ochava))

    # --- áreas verdes de la trama: berma central, monumento, ex campo de aterrizaje
    av = d["areas_verdes"]
    j_av = u["avenida"]
    i_ken = [t["nombre"] for t in T].index("Jr. Kennedy")
    tramos = [(ys[f] + wt[f] / 2 + 1.0, ys[f + 1] - wt[f + 1] / 2 - 1.0) for f in range(nf)]
    tz.marcos["berma_urbana"] = tramos
    mon = av["monumento"]
    tz.areas_verdes.append({"geometry": _octogono(0.0, ys[i_ken], mon["area_m2"]),
                            "nombre": mon["nombre"], "tipo": mon["tipo"], "marco": "urbano",
                            "area_mantenimiento_m2": mon["mantenimiento_m2"]})
    cam = av["campo"]
    s = math.sqrt(cam["area_m2"])
    x0 = xs[-1] + wl[-1] / 2 + 45.0
    yc = (ys[5] + ys[9]) / 2
    tz.areas_verdes.append({"geometry": shapely.polygons(_rect(x0, yc - s / 2, x0 + s, yc + s / 2)),
                            "nombre": cam["nombre"], "tipo": cam["tipo"], "marco": "urbano",
                            "area_mantenimiento_m2": cam["mantenimiento_m2"]})
    tz.marcos["urbano"] = {"xs": xs, "ys": ys, "x_rio": x_rio, "ancho_avenida": float(wl[j_av]),
                           "nc": nc, "nf": nf}


# ---------------------------------------------------------------------------------------------
# Trama rural (chacras)
# ---------------------------------------------------------------------------------------------


def _trama_rural(d: dict, rng: np.random.Generator, tz: Trazado) -> None:
    r = d["rural"]
    urb = tz.marcos["urbano"]
    nc, nf = r["columnas"], r["filas"]
    w = r["ancho_camino_m"]
    w_av = urb["ancho_avenida"]
    eje = 5  # la longitudinal rural alineada con Av. San Martín
    anchos = rng.uniform(*r["ancho_manzana_m"], nc)
    fondos = rng.uniform(*r["fondo_manzana_m"], nf)

    def ancho_long(j: int, f: int) -> float:
        return w_av if (j == eje and f < r["filas_avenida"]) else (10.0 if j == eje else w)

    xs = np.zeros(nc + 1)
    for j in range(1, nc + 1):
        xs[j] = xs[j - 1] + anchos[j - 1] + w  # aprox.; el ancho real se descuenta por celda
    xs -= xs[eje]
    y_ini = urb["ys"][-1] + r["separacion_m"]
    ys = y_ini + np.r_[0.0, np.cumsum(fondos + w)]

    # prolongación de la avenida entre la trama urbana y la rural (cuadra 17)
    cuadra_av = urb["nf"] + 1
    tz.vias.append({"geometry": _linea((0.0, urb["ys"][-1]), (0.0, ys[0])),
                    "nombre": "Av. San Martín", "tipo": "avenida", "cuadra": cuadra_av,
                    "ancho_m": w_av, "marco": "rural"})
    tramos = [(urb["ys"][-1] + 5.0 + 1.0, ys[0] - w / 2 - 1.0)]
    for j in range(nc + 1):
        for f in range(nf):
            if j == eje:
                if f < r["filas_avenida"]:
                    nombre, tipo, cuadra = "Av. San Martín", "avenida", cuadra_av + 1 + f
                    tramos.append((ys[f] + w / 2 + 1.0, ys[f + 1] - w / 2 - 1.0))
                else:
                    nombre, tipo, cuadra = r["nombre_eje"], "carretera", f - r["filas_avenida"] + 1
            else:
                nombre, tipo, cuadra = r["longitudinales"][j], "otro", f + 1
            tz.vias.append({"geometry": _linea((xs[j], ys[f]), (xs[j], ys[f + 1])),
                            "nombre": nombre, "tipo": tipo, "cuadra": cuadra,
                            "ancho_m": ancho_long(j, f), "marco": "rural"})
    for i in range(nf + 1):
        nombre = r["transversales"][i]
        tipo = "prolongacion" if nombre.startswith("Prlg.") else "otro"
        for c in range(nc):
            tz.vias.append({"geometry": _linea((xs[c], ys[i]), (xs[c + 1], ys[i])),
                            "nombre": nombre, "tipo": tipo, "cuadra": c + 1, "ancho_m": w,
                            "marco": "rural"})
    tz.marcos["berma_rural"] = tramos
    for c in range(nc):
        for f in range(nf):
            xl = xs[c] + ancho_long(c, f) / 2
            xr = xs[c + 1] - ancho_long(c + 1, f) / 2
            esq = _rect(xl, ys[f] + w / 2, xr, ys[f + 1] - w / 2) + rng.uniform(-0.4, 0.4, (4, 2))
            mz = tz.manzanas
            tz.manzanas += 1
            sector = 1 + (c >= nc // 2) + 2 * (f >= nf // 2)
            for lado, A, B, C, D in _medias_de_bloque(esq, "EO", rng):
                i = f if lado == "S" else f + 1
                nombre = r["transversales"][i]
                tipo = "prolongacion" if nombre.startswith("Prlg.") else "otro"
                tz.medias.append(Media(A, B, C, D, "rural", f"R{sector}", -1, mz, nombre, tipo,
                                       c + 1, lado == "N"))


# ---------------------------------------------------------------------------------------------
# Zona B: centros poblados sobre la vía central
# ---------------------------------------------------------------------------------------------


def _centros_poblados(d: dict, lotes_por_centro: dict[str, int], rng: np.random.Generator,
                      tz: Trazado) -> None:
    b = d["zona_b"]
    wv, wc = b["ancho_via_m"], b["ancho_calle_m"]
    largo, fondo = b["manzana_m"]
    rumbos = np.radians(b["rumbos_grados"])
    dirs = np.c_[np.sin(rumbos), np.cos(rumbos)]
    V = np.vstack([np.zeros(2), np.cumsum(dirs * b["tramo_m"], axis=0)])
    piezas_via: list[np.ndarray] = []
    anterior = [V[0], V[1]]
    for k, cp in enumerate(b["centros"]):
        nombre = cp["nombre"]
        n_lotes = lotes_por_centro[nombre]
        filas = max(1, round(n_lotes / 42))
        dir_ = dirs[k + 1]
        perp = np.array([dir_[1], -dir_[0]])
        centro = (V[k + 1] + V[k + 2]) / 2
        tz.marcos[nombre] = (centro, dir_, perp)
        # ejes locales: x perpendicular a la vía (vía en x = 0), y a lo largo de la vía
        xl = np.array([-(wv / 2 + fondo + wc + fondo + wc / 2), -(wv / 2 + fondo + wc / 2), 0.0,
                       wv / 2 + fondo + wc / 2, wv / 2 + fondo + wc + fondo + wc / 2])
        wx = np.array([wc, wc, wv, wc, wc])
        total = filas * (largo + wc)
        yl = -total / 2 + np.arange(filas + 1) * (largo + wc)
        calles = list(rng.permutation(b["calles"]))
        nom_x = [calles[0], calles[1], b["via"], calles[2], calles[3]]
        nom_y = [calles[4 + (i % 4)] if i % 2 == 0 else f"Calle {i + 1}" for i in range(filas + 1)]

        def a_global(p: np.ndarray) -> np.ndarray:
            p = np.atleast_2d(p)
            return centro + p[:, :1] * perp + p[:, 1:2] * dir_

        ini, fin = a_global(np.array([0.0, yl[0]]))[0], a_global(np.array([0.0, yl[-1]]))[0]
        piezas_via.append(np.array(anterior + [ini]))
        anterior = [fin, V[k + 2]]
        for j in range(5):
            for f in range(filas):
                es_via = j == 2
                tz.vias.append({"geometry": _linea(*a_global(np.array([[xl[j], yl[f]], [xl[j], yl[f + 1]]]))),
                                "nombre": nom_x[j], "tipo": "carretera" if es_via else "calle",
                                "cuadra": f + 1, "ancho_m": float(wx[j]), "marco": nombre,
                                "_orden": (k, f) if es_via else None})
        for i in range(filas + 1):
            for c in range(4):
                tz.vias.append({"geometry": _linea(*a_global(np.array([[xl[c], yl[i]], [xl[c + 1], yl[i]]]))),
                                "nombre": nom_y[i], "tipo": "calle", "cuadra": c + 1,
                                "ancho_m": wc, "marco": nombre})
        tz.centros.append({"geometry": shapely.polygons(a_global(_rect(xl[0], yl[0], xl[-1], yl[-1]))),
                           "nombre": nombre})
        grandes = set(rng.choice(filas * 4, size=min(2, filas * 4), replace=False).tolist())
        for c in range(4):
            for f in range(filas):
                x0, x1 = xl[c] + wx[c] / 2, xl[c + 1] - wx[c + 1] / 2
                y0, y1 = yl[f] + wc / 2, yl[f + 1] - wc / 2
                esq = a_global(_rect(x0, y0, x1, y1) + rng.uniform(-0.4, 0.4, (4, 2)))
                # en marco local la vía corre "hacia el norte": NS = frentes a las longitudinales
                mz = tz.manzanas
                tz.manzanas += 1
                for h, (lado, A, B, C, D) in enumerate(_medias_de_bloque(esq, "NS", rng)):
                    jj = c if lado == "O" else c + 1
                    tipo = "carretera" if jj == 2 else "calle"
                    fija = 2 if (h == 0 and (c * filas + f) in grandes) else None
                    tz.medias.append(Media(A, B, C, D, f"B:{nombre}", nombre, -1, mz, nom_x[jj],
                                           tipo, f + 1, lado == "E", fijo=fija,
                                           reservada="grande" if fija else ""))
    piezas_via.append(np.array(anterior))
    for p in piezas_via:
        tz.vias.append({"geometry": shapely.linestrings(p), "nombre": b["via"], "tipo": "carretera",
                        "cuadra": 0, "ancho_m": wv, "marco": "zona_b", "_orden": None})
    _numerar_via_central(tz, b["via"])


def _numerar_via_central(tz: Trazado, nombre: str) -> None:
    """Numera las cuadras de la vía central en orden de recorrido desde la ciudad."""
    ejes = [v for v in tz.vias if v["nombre"] == nombre]
    inicio = np.zeros(2)
    # orden: distancia a lo largo del recorrido ~ distancia del punto medio al origen
    dist = [float(np.hypot(*shapely.get_coordinates(shapely.centroid(v["geometry"]))[0] - inicio))
            for v in ejes]
    for k, i in enumerate(np.argsort(dist, kind="stable")):
        ejes[i]["cuadra"] = k + 1


# ---------------------------------------------------------------------------------------------
# Loteo
# ---------------------------------------------------------------------------------------------


def lotear(tz: Trazado, totales: dict[str, int], interiores: dict[str, int],
           anchos: dict[str, tuple[float, float]], rng: np.random.Generator) -> pd.DataFrame:
    """Corta todas las medias manzanas en lotes, con la cantidad exacta por región.

    Parameters
    ----------
    totales : lotes por región ("centro", "periferia", "B:<centro>", "rural").
    interiores : lotes sin frente a vía por región (incluidos en ``totales``).
    anchos : (mínimo, máximo) de ancho de frente por región, metros.

    Returns
    -------
    DataFrame con una fila por lote: ``anillo`` (coordenadas locales) y atributos del trazado.
    """
    regiones: dict[str, list[int]] = {}
    for k, m in enumerate(tz.medias):
        regiones.setdefault(m.region, []).append(k)
    n_por_media = np.zeros(len(tz.medias), dtype=int)
    interior_de: dict[int, int] = {}
    for region, idx in regiones.items():
        total = totales[region]
        n_int = interiores.get(region, 0)
        fijos = [k for k in idx if tz.medias[k].fijo]
        libres = [k for k in idx if not tz.medias[k].fijo]
        for k in fijos:
            n_por_media[k] = tz.medias[k].fijo
        resto = total - n_por_media[fijos].sum() - n_int
        largo = np.array([tz.medias[k].frente_m for k in libres])
        n = _repartir_enteros(resto, largo)
        n = np.maximum(n, 1)
        # corrige el exceso que pudo introducir el mínimo de 1
        while n.sum() > resto:
            n[np.argmax(n)] -= 1
        n_por_media[libres] = n
        candidatas = [k for k, nn in zip(libres, n) if nn >= 4]
        for k in rng.choice(candidatas, size=n_int, replace=False):
            interior_de[int(k)] = int(rng.integers(1, n_por_media[k] - 1))

    filas = []
    for k, m in enumerate(tz.medias):
        region_base = "B" if m.region.startswith("B:") else m.region
        anillos, frentes, esquinas, interiores_ = _franjas(
            m, int(n_por_media[k]), anchos[region_base], rng, interior_de.get(k))
        largo = m.frente_m
        for j, (an, fr, es, it) in enumerate(zip(anillos, frentes, esquinas, interiores_)):
            # posición del frente a lo largo de la cuadra (0–1) para numerar la dirección
            pos = float(np.dot(an[:2].mean(axis=0) - m.A, (m.B - m.A)) / largo**2)
            filas.append({
                "anillo": an, "region": m.region, "marco": m.marco, "celda": m.celda,
                "manzana": m.manzana, "media": k, "via": m.via, "tipo_via": m.tipo_via,
                "cuadra": m.cuadra, "par": m.par, "pos": min(max(pos, 0.0), 0.999),
                "frente_m": fr, "esquina": es, "interior": it, "reservada": m.reservada,
            })
    return pd.DataFrame(filas)


def trazar(d: dict, rng: np.random.Generator, lotes_zona_b: dict[str, int]) -> Trazado:
    """Dibuja la trama urbana, la rural y los centros poblados (sin lotear)."""
    tz = Trazado()
    _trama_urbana(d, rng, tz)
    _trama_rural(d, rng, tz)
    _centros_poblados(d, lotes_zona_b, rng, tz)
    return tz


def reservar_medias_ph(tz: Trazado, edificios: list[dict], rng: np.random.Generator) -> None:
    """Reserva medias manzanas del centro para los edificios en propiedad horizontal (zona A)."""
    candidatas = [k for k, m in enumerate(tz.medias)
                  if m.region == "centro" and m.marco == "urbano" and m.frente_m > 70]
    elegidas = rng.choice(candidatas, size=len(edificios), replace=False)
    for i, (k, e) in enumerate(zip(elegidas, edificios)):
        tz.medias[k].fijo = int(e["lotes_media_manzana"])
        tz.medias[k].reservada = f"ph:{i}"


def berma_central(tz: Trazado, area_m2: float) -> list[np.ndarray]:
    """Rectángulos de la berma (eje x = 0) con el ancho que da el área publicada."""
    tramos = tz.marcos["berma_urbana"] + tz.marcos["berma_rural"]
    largo = sum(b - a for a, b in tramos)
    ancho = area_m2 / largo
    return [_rect(-ancho / 2, a, ancho / 2, b) for a, b in tramos]

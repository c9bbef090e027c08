"""Geometrías de prueba con nombre y respuesta conocida (como ``tests/common.py`` de shapely).

Todo se dibuja en coordenadas locales (metros) y se traslada a un origen UTM 18S realista
(``X0, Y0``) para probar también la precisión con coordenadas grandes. Las respuestas
esperadas se calculan a mano en cada prueba, no aquí.

Convención de la manzana básica (vista en planta, norte arriba)::

           Jr. Norte (eje y = 35, ancho 10)
        +----+----+----+----+  y = 30
        | N1 | N2 | N3 | N4 |
    Jr. +----+----+----+----+  y = 15   Jr. Este (eje x = 45)
  Oeste | S1 | S2 | S3 | S4 |
 (x=-5) +----+----+----+----+  y = 0
        x=0  10   20   30   40
           Jr. Sur (eje y = -5)

Cada lote mide 10 m × 15 m; las calles miden 10 m entre linderos (semiancho 5 m) y sus ejes
van de cruce a cruce (una fila por cuadra).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Polygon, box

CRS = "EPSG:32718"
X0, Y0 = 460_000.0, 8_830_000.0


def capa(geoms, **columnas) -> gpd.GeoDataFrame:
    """GeoDataFrame en ``CRS`` con las geometrías locales trasladadas a ``(X0, Y0)``."""
    g = gpd.GeoSeries(list(geoms), crs=CRS).translate(X0, Y0)
    return gpd.GeoDataFrame(columnas, geometry=g.values, crs=CRS)


def punto(x, y) -> tuple[float, float]:
    """Coordenadas locales → coordenadas de la capa."""
    return x + X0, y + Y0


def lotes_manzana(x0=0.0, y0=0.0, ancho=10.0, fondo=15.0, columnas=4, filas=2, prefijo="M"):
    """Lotes rectangulares de una manzana: códigos ``{prefijo}{fila}{col}`` (fila 1 = sur)."""
    geoms, codigos = [], []
    for f in range(filas):
        for c in range(columnas):
            geoms.append(box(x0 + c * ancho, y0 + f * fondo, x0 + (c + 1) * ancho,
                             y0 + (f + 1) * fondo))
            codigos.append(f"{prefijo}{f + 1}{c + 1}")
    return geoms, codigos


def predios(geoms, codigos, **extra) -> gpd.GeoDataFrame:
    n = len(geoms)
    cols = {
        "codigo": codigos,
        "uso": [1] * n,
        "area_terreno_m2": [g.area for g in geoms],
        "area_construida_m2": [100.0] * n,
    }
    cols.update(extra)
    return capa(geoms, **cols)


def vias(lineas: list[tuple[str, int | None, list[tuple[float, float]]]], ancho=10.0, tipo="calle"):
    """Capa de vías: lista de ``(nombre, cuadra, coordenadas)``."""
    return capa(
        [LineString(c) for _, _, c in lineas],
        nombre=[n for n, _, _ in lineas],
        cuadra=[q for _, q, _ in lineas],
        tipo=[tipo] * len(lineas),
        ancho_m=[ancho] * len(lineas),
    )


def vias_manzana_basica():
    """Las cuatro cuadras alrededor de la manzana básica (semiancho 5 m)."""
    return vias([
        ("Jr. Sur", 1, [(-5, -5), (45, -5)]),
        ("Jr. Oeste", 1, [(-5, -5), (-5, 35)]),
        ("Jr. Norte", 1, [(-5, 35), (45, 35)]),
        ("Jr. Este", 1, [(45, -5), (45, 35)]),
    ])


def manzana_basica():
    """Manzana de 2 × 4 lotes de 10 m × 15 m rodeada por cuatro calles."""
    geoms, codigos = lotes_manzana()
    return predios(geoms, codigos), vias_manzana_basica()


def sectores_diagonal():
    """Dos sectores de barrido separados por la recta y = x (pasa por la esquina S1)."""
    return capa(
        [Polygon([(-200, -200), (200, 200), (200, -200)]),
         Polygon([(-200, -200), (-200, 200), (200, 200)])],
        sector=["1", "2"], frecuencia_semanal=[7, 3],
    )


def lote_ochava(lado=3.0):
    """Lote S1 con la esquina suroeste cortada en ochava de catetos ``lado``."""
    return Polygon([(lado, 0), (10, 0), (10, 15), (0, 15), (0, lado)])


def manzana_3x3():
    """Manzana de 3 × 3 lotes de 10 m × 10 m: el del centro (C22) es interior."""
    geoms, codigos = lotes_manzana(ancho=10, fondo=10, columnas=3, filas=3, prefijo="C")
    v = vias([
        ("Calle Sur", 1, [(-5, -5), (35, -5)]),
        ("Calle Oeste", 1, [(-5, -5), (-5, 35)]),
        ("Calle Norte", 1, [(-5, 35), (35, 35)]),
        ("Calle Este", 1, [(35, -5), (35, 35)]),
    ])
    return predios(geoms, codigos), v


def arco(radio, a0, a1, n):
    """Puntos de un arco con centro en el origen, de ``a0`` a ``a1`` grados, ``n`` tramos."""
    t = np.radians(np.linspace(a0, a1, n + 1))
    return list(zip(radio * np.cos(t), radio * np.sin(t)))


def lote_en_curva(r_eje=50.0, semiancho=5.0, fondo=30.0, a0=30.0, a1=60.0, n=12):
    """Lote (sector de corona) en el lado exterior de una calle curva.

    Returns
    -------
    predio, via, arco_esperado_m : el arco del lindero frontal mide
    ``(r_eje + semiancho) * radianes(a1 - a0)``.
    """
    r = r_eje + semiancho
    frente = arco(r, a0, a1, n)
    fondo_ = arco(r + fondo, a1, a0, n)
    lote = Polygon(frente + fondo_)
    eje = arco(r_eje, 0.0, 90.0, 90)
    return lote, eje, r * math.radians(a1 - a0)


def trasladar(geom, dx, dy):
    return shapely.transform(geom, lambda c: c + np.array([dx, dy]))


def barrio_con_parque():
    """Dos manzanas y un parque frente a la cuadra 1 del Jr. Norte.

    * Manzana básica (x 0–40): sus lotes del norte (N1–N4 → ``M21``…``M24``) dan al Jr. Norte
      cuadra 1, que al otro lado bordea la «Plaza» (x 0–40, y 40–70).
    * Manzana este (x 50–90, códigos ``E…``): sus lotes del norte dan al Jr. Norte cuadra 2;
      enfrente no hay parque.
    * Lotes sueltos: ``L99`` a 99 m del parque, ``L101`` a 101 m (ambos en zona urbana) y
      ``LD`` fuera de la zona urbana, lejos de todo.
    """
    g1, c1 = lotes_manzana()
    g2, c2 = lotes_manzana(x0=50, prefijo="E")
    sueltos = [box(139, 50, 149, 60), box(-111, 50, -101, 60), box(600, 50, 610, 60)]
    p = predios(g1 + g2 + sueltos, c1 + c2 + ["L99", "L101", "LD"])
    v = vias([
        ("Jr. Sur", 1, [(-5, -5), (45, -5)]),
        ("Jr. Sur", 2, [(45, -5), (95, -5)]),
        ("Jr. Oeste", 1, [(-5, -5), (-5, 35)]),
        ("Jr. Norte", 1, [(-5, 35), (45, 35)]),
        ("Jr. Norte", 2, [(45, 35), (95, 35)]),
        ("Jr. Este", 1, [(45, -5), (45, 35)]),
        ("Jr. Este", 2, [(95, -5), (95, 35)]),
    ])
    parque = capa([box(0, 40, 40, 70)], nombre=["Plaza"], tipo=["parque"])
    urbana = capa([box(-300, -300, 300, 300)], nombre=["Zona urbana"])
    return {"predios": p, "vias": v, "areas_verdes": parque, "zona_urbana": urbana}


def red_en_u():
    """Dos calles paralelas unidas solo por su extremo este (una «U» acostada).

    Calle Baja: eje y = 0, x 0–200 (cuadra 1); Calle Alta: eje y = 60, x 0–200; Calle Enlace:
    x = 200, y 0–60. Todas de 10 m. Parque al norte de la Calle Baja (x 0–40, y 5–30).
    ``U1``: lote al sur de la Calle Alta (x 0–10, y 35–55), a 5 m del parque en línea recta
    pero lejos por la red. ``U2``: lote al sur de la Calle Baja (x 100–110, y −20…−5).
    """
    v = vias([
        ("Calle Baja", 1, [(0, 0), (200, 0)]),
        ("Calle Alta", 1, [(0, 60), (200, 60)]),
        ("Calle Enlace", 1, [(200, 0), (200, 60)]),
    ])
    p = predios([box(0, 35, 10, 55), box(100, -20, 110, -5)], ["U1", "U2"])
    parque = capa([box(0, 5, 40, 30)], nombre=["Parque Bajo"], tipo=["parque"])
    urbana = capa([box(-300, -300, 300, 300)], nombre=["Zona urbana"])
    return {"predios": p, "vias": v, "areas_verdes": parque, "zona_urbana": urbana}

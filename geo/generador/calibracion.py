"""Informe de calibración: lo generado, medido sobre las capas, frente a la ordenanza.

Todo se calcula con consultas espaciales y de atributos sobre las capas recibidas (punto
representativo de cada predio dentro de las zonas, sectores y zona urbana; frente = predio que
toca la franja de la vía), nunca con contadores internos del generador: sirve igual para un
GeoPackage editado a mano.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.capas import exigir_metrico
from geo.config import CONFIG, Config
from geo.esquema import USOS
from geo.generador.datos import cargar_datos

COLUMNAS = ["concepto", "cuadro", "generado", "ordenanza", "diferencia_pct", "cumple", "nota"]
_TOL_CONTEO = 2.0  # % para conteos >= 50 y áreas construidas
_UMBRAL_EXACTO = 50  # conteos menores deben coincidir exactamente
_TOL_AREA_VERDE = 1.0
_TOL_INFORMATIVO = 25.0


def _en(puntos: gpd.GeoDataFrame, poligonos: gpd.GeoDataFrame, clave: str) -> pd.Series:
    """Valor de ``clave`` del polígono que contiene cada punto (None si ninguno)."""
    if puntos.crs != poligonos.crs:
        poligonos = poligonos.to_crs(puntos.crs)
    j = gpd.sjoin(puntos[["geometry"]], poligonos[[clave, "geometry"]], how="left",
                  predicate="within")
    j = j[~j.index.duplicated(keep="first")]
    return j[clave].reindex(puntos.index)


def _con_frente(predios: gpd.GeoDataFrame, vias: gpd.GeoDataFrame, config: Config) -> pd.Series:
    """True si el predio toca la franja de alguna vía (eje ± ancho/2 + tolerancia)."""
    ancho = vias["ancho_m"].fillna(vias["tipo"].map(config.ancho_via_por_tipo_m)).fillna(
        config.ancho_via_por_tipo_m["otro"])
    franja = gpd.GeoDataFrame(geometry=vias.geometry.buffer(ancho / 2 + 2 * config.tolerancia_frontis_m,
                                                           cap_style="flat"), crs=vias.crs)
    j = gpd.sjoin(predios[["geometry"]], franja, how="inner", predicate="intersects")
    return pd.Series(predios.index.isin(j.index), index=predios.index)


def _fila(concepto, cuadro, generado, ordenanza, tol=None, nota="", informativo=False):
    dif = 0.0 if ordenanza == 0 else 100.0 * (generado - ordenanza) / ordenanza
    if informativo:
        cumple = abs(dif) <= _TOL_INFORMATIVO
        nota = (nota + " " if nota else "") + f"Informativo (±{_TOL_INFORMATIVO:.0f} %)."
    elif tol is None:  # conteo
        cumple = abs(dif) <= _TOL_CONTEO if ordenanza >= _UMBRAL_EXACTO else generado == ordenanza
    else:
        cumple = abs(dif) <= tol
    return {"concepto": concepto, "cuadro": cuadro, "generado": float(generado),
            "ordenanza": float(ordenanza), "diferencia_pct": round(dif, 3), "cumple": bool(cumple),
            "nota": nota}


def informe_calibracion(capas: dict[str, gpd.GeoDataFrame], config: Config = CONFIG) -> pd.DataFrame:
    """Compara el distrito con las cifras publicadas de la Ordenanza 466-2019-MPO.

    Parameters
    ----------
    capas : capas del distrito (al menos predios, vias, zonas_recoleccion, zona_urbana,
        sectores_barrido, sectores_recoleccion y areas_verdes), en CRS métrico.

    Returns
    -------
    DataFrame con ``concepto, cuadro, generado, ordenanza, diferencia_pct, cumple, nota``.
    Tolerancias: ±2 % para conteos de 50 o más y áreas construidas; exacto para conteos
    menores y para exonerados; ±1 % para áreas verdes; las filas informativas (±25 %) no son
    metas. ``nota`` explica las cifras que la ordenanza contradice.
    """
    met = cargar_datos()["metas"]
    pr = capas["predios"]
    exigir_metrico(pr, "predios")
    pts = gpd.GeoDataFrame(geometry=pr.representative_point(), crs=pr.crs)
    zona = _en(pts, capas["zonas_recoleccion"], "zona")
    construido = pr["uso"] != 7
    filas = []

    # --- predios y área construida por uso y zona (recolección)
    for z, c_pred, c_area, k_pred, k_area in (
            ("A", met["cuadro_zona_a_predios"], met["cuadro_zona_a_area"], "zona_a_predios",
             "zona_a_area_m2"),
            ("B", met["cuadro_zona_b_predios"], met["cuadro_zona_b_area"], "zona_b_predios",
             "zona_b_area_m2")):
        en_z = (zona == z) & construido
        for u, meta in met[k_pred].items():
            filas.append(_fila(f"Zona {z} · {u} {USOS[u]} · predios", c_pred,
                               int((en_z & (pr["uso"] == u)).sum()), meta))
        filas.append(_fila(f"Zona {z} · total · predios construidos", c_pred, int(en_z.sum()),
                           sum(met[k_pred].values())))
        for u, meta in met[k_area].items():
            filas.append(_fila(f"Zona {z} · {u} {USOS[u]} · área construida (m²)", c_area,
                               round(float(pr.loc[en_z & (pr["uso"] == u),
                                                  "area_construida_m2"].sum()), 2),
                               meta, tol=_TOL_CONTEO))

    # --- distrito por uso (serenazgo)
    ab = {u: met["zona_a_predios"].get(u, 0) + met["zona_b_predios"].get(u, 0) for u in USOS}
    for u, meta in met["distrito_predios"].items():
        nota = ""
        if ab[u] > meta:
            nota = (f"Contradicción en la ordenanza: zona A ({met['zona_a_predios'][u]}, "
                    f"{met['cuadro_zona_a_predios']}) + zona B ({met['zona_b_predios'][u]}, "
                    f"{met['cuadro_zona_b_predios']}) = {ab[u]} > {meta}; se conservan las "
                    "cifras por zona.")
        filas.append(_fila(f"Distrito · {u} {USOS[u]} · predios", met["cuadro_distrito"],
                           int((pr["uso"] == u).sum()), meta, nota=nota))
    total = sum(met["distrito_predios"].values())
    exceso = sum(max(ab[u] - m, 0) for u, m in met["distrito_predios"].items())
    filas.append(_fila("Distrito · total · predios", met["cuadro_distrito"], len(pr), total,
                       nota=(f"El total publicado no admite las cifras por zona: +{exceso} "
                             "por la contradicción de Industria." if exceso else "")))

    # --- exonerados e inafectos (exacto)
    for clase, e in met["exonerados"].items():
        es = pr["condicion"] == clase
        n_constr = e.get("zona_a", 0) + sum(e.get("rural", {}).values())
        filas.append(_fila(f"Exonerados · {clase} · construidos", e["fuente"],
                           int((es & construido).sum()), n_constr, tol=0.0))
        filas.append(_fila(f"Exonerados · {clase} · construidos en zona A", "Cuadro 24",
                           int((es & construido & (zona == "A")).sum()), e.get("zona_a", 0),
                           tol=0.0))
        if e.get("terrenos"):
            filas.append(_fila(f"Exonerados · {clase} · terrenos sin construir", "Cuadro 48",
                               int((es & ~construido).sum()), e["terrenos"], tol=0.0))

    # --- parques: zona A dentro / fuera de la zona urbana
    urbana = _en(pts, capas["zona_urbana"].assign(_u=1), "_u").notna()
    en_a = (zona == "A") & construido
    filas.append(_fila("Parques · zona A dentro de la zona urbana (frente, cerca, lejos)",
                       "Cuadro 32", int((en_a & urbana).sum()), met["zona_a_dentro_zona_urbana"]))
    filas.append(_fila("Parques · zona A fuera de la zona urbana (no comprendidos)", "Cuadro 32",
                       int((en_a & ~urbana).sum()), met["zona_a_fuera_zona_urbana"]))

    # --- áreas verdes (Cuadro 27)
    d = cargar_datos()
    metas_av = {v["nombre"]: v["area_m2"] for v in d["areas_verdes"].values()}
    metas_av.update({m["nombre"]: m["area_m2"] for m in d["urbano"]["malecones"]})
    av = capas["areas_verdes"]
    for nombre, meta in metas_av.items():
        area = float(av.loc[av["nombre"] == nombre].area.sum())
        filas.append(_fila(f"Áreas verdes · {nombre} · área (m²)", "Cuadro 27", round(area, 2),
                           meta, tol=_TOL_AREA_VERDE))

    # --- informativo: barrido (predios con frente por sector) y recolección por sector
    frente = _con_frente(pr, capas["vias"], config)
    sb = _en(pts, capas["sectores_barrido"], "sector")
    for s, meta in met["barrido_predios"].items():
        filas.append(_fila(f"Barrido · sector {s} · predios con frente", "Cuadro 09",
                           int((frente & (sb == str(s))).sum()), meta, informativo=True))
    sr = _en(pts, capas["sectores_recoleccion"], "sector")
    for s, meta in met["recoleccion_sectores"].items():
        filas.append(_fila(f"Recolección · sector {s} · predios construidos", "Cuadro 14",
                           int((en_a & (sr == s)).sum()), meta, informativo=True))
    return pd.DataFrame(filas, columns=COLUMNAS)

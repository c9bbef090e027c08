"""Escenarios de micro-rutas de barrido: comparar el distrito actual con un plan.

Quien planifica copia el almacén y edita la capa ``sectores_barrido`` (límites o
``frecuencia_semanal``) y, si quiere, pasa calles enteras a otro sector con la columna
opcional ``sector`` de la capa ``vias`` (vacía = el sector que dé su polígono). Esta orden
deriva ambos almacenes y compara: Cuadros 01–05 (micro-rutas), 09–10 (frontis ponderado, costo
relativo y tasa por ml), el arbitrio de barrido de cada predio, cuántos pagan más o menos y la
carga de trabajo por sector (ml por barrendero).

Frecuencias
-----------
En la base manda la ordenanza, como en ``catastro tarifas`` (lo que se cobra hoy). En el
escenario, para cada sector: si la ``frecuencia_semanal`` de su capa difiere de la de la capa
base (o el sector es nuevo), manda la del escenario — es el cambio que se quiere evaluar —; si
no, la de la ordenanza. Así un cambio de 6 a 3 días en la capa del escenario surte efecto aunque
la ordenanza diga 6, y una capa base desactualizada no se cuela como cambio (se avisa).
Las micro-rutas (Cuadros 01–05) se muestran con las mismas frecuencias efectivas.

Barrenderos
-----------
``[barrido].barrenderos`` (total) y ``barrenderos`` por sector en la ordenanza (opcionales). Si
un sector no trae el suyo, el total se reparte entre los sectores de la base en proporción a sus
ml de vía (mayor resto, enteros) y el escenario conserva ese reparto: la carga de cada sector
cambia con sus calles y frecuencia, no con una cuadrilla que se movería sola.
Carga = ml de vía que barre cada obrero un día de servicio (``ml_diario / barrenderos``) y por
semana (``ml_semanal / barrenderos``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.claves import esta_en
from geo.config import CONFIG, Config
from geo.derivaciones import Derivados, derivar
from geo.ordenanza import Ordenanza, SectorBarrido
from geo.tarifas import ResultadoTarifas, calcular_tarifas
from geo.tarifas.anexo import cuadro_microrutas
from geo.tarifas.dinero import CERO, dec, redondear

log = logging.getLogger(__name__)

COLUMNAS_09_10 = [("predios", 0), ("frontis_ml", 2), ("frecuencia_semanal", 0),
                  ("ponderado_ml", 2), ("porcentaje", 4), ("costo_relativo", 2),
                  ("tasa_anual_ml", 6), ("tasa_mensual_ml", 6)]
COLUMNAS_05 = [("vias", 0), ("cuadras", 0), ("frecuencia_semanal", None), ("ml_diario", 2),
               ("ml_semanal", 2), ("barrenderos", 0), ("ml_dia_por_barrendero", 2),
               ("ml_semana_por_barrendero", 2)]


@dataclass
class Corrida:
    """Un lado de la comparación: derivaciones, tarifas y frecuencias efectivas."""

    nombre: str
    derivados: Derivados
    resultado: ResultadoTarifas
    frecuencias: dict[str, int]
    microrutas: pd.DataFrame
    sectores: gpd.GeoDataFrame | None = None


@dataclass
class Comparacion:
    """Resultado de :func:`comparar_escenarios`; tablas listas para CSV."""

    base: Corrida
    escenario: Corrida
    cuadro_05: pd.DataFrame
    microrutas: pd.DataFrame
    cuadro_09_10: pd.DataFrame
    barrido_por_predio: pd.DataFrame
    conteos: dict[str, int]
    barrenderos: dict[str, int]
    reparto_barrenderos: str
    avisos: list[str] = field(default_factory=list)

    def resumen(self) -> str:
        """Resumen en español para la consola."""
        c = self.conteos
        lin = ["Escenario de micro-rutas de barrido: base → escenario", ""]
        lin.append("Sectores (Cuadros 05, 09 y 10):")
        t = self.cuadro_09_10.set_index("sector")
        m = self.cuadro_05.set_index("sector")
        for s in t.index.union(m.index):
            def v(tab, col, lado, s=s):
                return tab.at[s, f"{col}_{lado}"] if s in tab.index else None
            lin.append(
                f"  sector {s}: frecuencia {_f(v(t, 'frecuencia_semanal', 'base'))} → "
                f"{_f(v(t, 'frecuencia_semanal', 'escenario'))} días/semana; frontis "
                f"{_f(v(t, 'frontis_ml', 'base'), 2)} → {_f(v(t, 'frontis_ml', 'escenario'), 2)} "
                f"ml; ponderado {_f(v(t, 'ponderado_ml', 'base'), 2)} → "
                f"{_f(v(t, 'ponderado_ml', 'escenario'), 2)}; tasa S/ "
                f"{_f(v(t, 'tasa_mensual_ml', 'base'), 5)} → "
                f"{_f(v(t, 'tasa_mensual_ml', 'escenario'), 5)} por ml al mes; vías "
                f"{_f(v(m, 'ml_diario', 'base'), 2)} → {_f(v(m, 'ml_diario', 'escenario'), 2)} ml "
                f"por día de servicio, {_f(v(m, 'ml_dia_por_barrendero', 'base'), 0)} → "
                f"{_f(v(m, 'ml_dia_por_barrendero', 'escenario'), 0)} ml por barrendero "
                f"({_f(v(m, 'barrenderos', 'escenario'))} barrenderos)")
        lin.append(f"  Barrenderos: {self.reparto_barrenderos}")
        b = self.barrido_por_predio
        mas = b["diferencia"].max() if len(b) else 0
        menos = -(b["diferencia"].min() if len(b) else 0)
        lin += ["", "Arbitrio de barrido (S/ al mes, a cobrar):",
                f"  pagan más: {c['pagan_mas']:,} predios (hasta S/ {_f(max(mas, 0), 2)} más)",
                f"  pagan menos: {c['pagan_menos']:,} predios (hasta S/ {_f(max(menos, 0), 2)}"
                + " menos)",
                f"  igual: {c['igual']:,}; sin barrido en ambos: {c['sin_barrido']:,}",
                (f"  recaudación mensual: S/ {_f(sum(b['antes'], CERO), 2)} → "
                 f"S/ {_f(sum(b['despues'], CERO), 2)} (el costo anual distribuido no cambia: "
                 "cambia quién lo paga)")]
        for a in self.avisos:
            lin.append(f"Aviso: {a}")
        return "\n".join(lin)


def _f(x, decimales: int | None = None) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    if decimales is None:
        return f"{x}"
    return f"{redondear(dec(x), decimales):,.{decimales}f}"


# --------------------------------------------------------------------------------------------
# Frecuencias y sectores por vía
# --------------------------------------------------------------------------------------------


def frecuencias_de_capa(sectores: gpd.GeoDataFrame | None) -> dict[str, int]:
    """``sector → frecuencia_semanal`` de la capa ``sectores_barrido`` (la primera si se repite)."""
    if sectores is None or len(sectores) == 0:
        return {}
    f = pd.to_numeric(sectores["frecuencia_semanal"], errors="coerce")
    out: dict[str, int] = {}
    for s, v in zip(sectores["sector"].astype(str).str.strip(), f):
        if s not in out and np.isfinite(v):
            out[s] = int(v)
    return out


def frecuencias_efectivas(ordenanza: Ordenanza, capa_base: dict[str, int],
                          capa_escenario: dict[str, int]) -> tuple[dict, dict, list[str]]:
    """Frecuencias que se cobran en la base y en el escenario (ver el docstring del módulo).

    Returns
    -------
    base, escenario : ``sector → días por semana``.
    avisos : diferencias entre la capa base y la ordenanza.
    """
    orden = {s.sector: s.frecuencia_semanal for s in ordenanza.barrido.sectores}
    base = {**capa_base, **orden}
    avisos = [f"sector {s}: la capa base dice {f} días/semana y la ordenanza "
              f"{orden[s]}; en la base se usa la ordenanza"
              for s, f in sorted(capa_base.items()) if s in orden and orden[s] != f]
    esc = dict(base)
    for s, f in capa_escenario.items():
        if s not in capa_base or capa_base[s] != f:
            esc[s] = f
    return base, esc, avisos


def con_frecuencias(ordenanza: Ordenanza, frecuencias: dict[str, int]) -> Ordenanza:
    """La ordenanza con los sectores de barrido y frecuencias dados (conserva barrenderos)."""
    previos = {s.sector: s for s in ordenanza.barrido.sectores}
    sectores = tuple(SectorBarrido(s, int(f), previos[s].barrenderos if s in previos else None)
                     for s, f in frecuencias.items())
    return replace(ordenanza, barrido=replace(ordenanza.barrido, sectores=sectores))


def sector_por_via(derivados: Derivados, vias: gpd.GeoDataFrame,
                   frecuencias_capa: dict[str, int]) -> Derivados:
    """Aplica la columna opcional ``sector`` de ``vias``: la calle (fila) entera va a ese sector.

    Los trozos de frontis de esa vía y cuadra toman el sector; el ``sector_barrido`` de sus
    predios se recalcula (el de su trozo más largo, como en ``derivar``) y la micro-ruta de la
    cuadra pasa entera al sector. Sin la columna (o toda vacía), devuelve ``derivados`` tal cual.
    """
    if "sector" not in vias.columns:
        return derivados
    sec = vias["sector"].astype("string").str.strip()
    fijo = sec.notna() & (sec != "")
    if not fijo.any():
        return derivados
    cuadra = pd.to_numeric(vias["cuadra"], errors="coerce") if "cuadra" in vias.columns \
        else pd.Series(np.nan, index=vias.index)
    clave = pd.DataFrame({"via": vias["nombre"].astype(str), "cuadra": cuadra,
                          "_sector": sec})[fijo.to_numpy()]
    clave = clave.drop_duplicates(["via", "cuadra"], keep="first")

    fr = derivados.frentes.copy()
    c_fr = pd.to_numeric(fr["cuadra"], errors="coerce")
    m = pd.DataFrame({"via": fr["via"].astype(str), "cuadra": c_fr}).merge(
        clave, on=["via", "cuadra"], how="left")["_sector"].to_numpy(dtype=object)
    cambia = pd.notna(m)
    fr.loc[cambia, "sector_barrido"] = m[cambia]
    fr.loc[cambia, "frecuencia_semanal"] = [float(frecuencias_capa.get(s, np.nan))
                                            for s in m[cambia]]
    fr["sector_barrido"] = fr["sector_barrido"].astype(object).where(
        fr["sector_barrido"].notna(), None)
    # sector del predio: el de su trozo (vía, cuadra, sector) más largo
    tocados = set(fr.loc[cambia, "codigo"].astype(str))
    p = derivados.predios.copy()
    if tocados:
        g = fr[esta_en(fr["codigo"].astype(str), tocados)]
        g = g.groupby(["codigo", "via", "cuadra", "sector_barrido"], dropna=False,
                      sort=True)["longitud_m"].sum().reset_index()
        g = g.sort_values(["codigo", "longitud_m"], ascending=[True, False], kind="stable")
        mayor = g.drop_duplicates("codigo").set_index("codigo")["sector_barrido"]
        filas = esta_en(p["codigo"].astype(str), tocados)
        nuevo = p.loc[filas, "codigo"].astype(str).map(mayor).to_numpy(dtype=object)
        col = p["sector_barrido"].to_numpy(dtype=object).copy()
        col[filas] = nuevo
        p["sector_barrido"] = col
    # micro-rutas: la cuadra entera, en su sector
    r = pd.DataFrame(derivados.microrutas.drop(columns="geometry", errors="ignore"))
    geom = derivados.microrutas.geometry.to_numpy() if "geometry" in derivados.microrutas \
        else np.full(len(r), None)
    rc = pd.to_numeric(r["cuadra"], errors="coerce")
    quitar = pd.DataFrame({"via": r["via"].astype(str), "cuadra": rc}).merge(
        clave, on=["via", "cuadra"], how="left")["_sector"].notna().to_numpy()
    vf = vias[fijo.to_numpy()]
    nuevas = pd.DataFrame({
        "sector": sec[fijo].to_numpy(dtype=object),
        "frecuencia_semanal": [float(frecuencias_capa.get(s, np.nan)) for s in sec[fijo]],
        "via": vf["nombre"].astype(str).to_numpy(),
        "cuadra": pd.array(cuadra[fijo].to_numpy(), dtype="Int64"),
        "longitud_ml": np.round(shapely.length(vf.geometry.to_numpy()), 2),
    })
    nuevas = nuevas.groupby(["sector", "frecuencia_semanal", "via", "cuadra"], dropna=False,
                            sort=False)["longitud_ml"].sum().reset_index()
    nuevas["ml_semanal"] = (nuevas["longitud_ml"] * nuevas["frecuencia_semanal"]).round(2)
    geo_n = [shapely.line_merge(shapely.union_all(vf.geometry.to_numpy()[
        ((vf["nombre"].astype(str) == f.via) & (cuadra[fijo].fillna(-1) == (
            -1 if pd.isna(f.cuadra) else f.cuadra))).to_numpy()])) for f in nuevas.itertuples()]
    rutas = pd.concat([r[~quitar], nuevas], ignore_index=True)
    rutas = gpd.GeoDataFrame(rutas, geometry=list(geom[~quitar]) + geo_n,
                             crs=derivados.predios.crs)
    rutas = rutas.sort_values(["sector", "via", "cuadra"], kind="stable").reset_index(drop=True)
    return Derivados(p, fr, rutas, derivados.avisos, derivados.umbral_cerca_m,
                     derivados.distancia, derivados.n_vias, derivados.vias_sin_ancho)


def _con_frecuencia(microrutas: pd.DataFrame, frecuencias: dict[str, int]) -> pd.DataFrame:
    """Micro-rutas con la frecuencia efectiva de cada sector (la que se cobra)."""
    m = pd.DataFrame(microrutas.drop(columns="geometry", errors="ignore")).copy()
    m["sector"] = m["sector"].astype(str)
    f = m["sector"].map(frecuencias)
    m["frecuencia_semanal"] = f.where(f.notna(), m["frecuencia_semanal"]).astype(float)
    m["ml_semanal"] = (m["longitud_ml"] * m["frecuencia_semanal"]).round(2)
    return m


# --------------------------------------------------------------------------------------------
# Comparación
# --------------------------------------------------------------------------------------------


def _corrida(nombre, capas, ordenanza, frecuencias, distancia, config) -> Corrida:
    d = derivar(capas, float(ordenanza.parques.umbral_cerca_m), distancia, config)
    d = sector_por_via(d, capas["vias"], frecuencias_de_capa(capas.get("sectores_barrido")))
    o = con_frecuencias(ordenanza, frecuencias)
    m = _con_frecuencia(d.microrutas, frecuencias)
    r = calcular_tarifas(d.predios, d.frentes, o, microrutas=m)
    return Corrida(nombre, d, r, frecuencias, m, capas.get("sectores_barrido"))


def repartir_barrenderos(ordenanza: Ordenanza, ml_por_sector: dict[str, Decimal]
                         ) -> tuple[dict[str, int], str]:
    """Barrenderos por sector: los de la ordenanza o el total repartido por ml (mayor resto)."""
    propios = {s.sector: s.barrenderos for s in ordenanza.barrido.sectores
               if s.barrenderos is not None}
    sectores = sorted(set(ml_por_sector) | set(propios), key=_clave_sector)
    if sectores and all(s in propios for s in sectores):
        return ({s: propios[s] for s in sectores},
                "por sector, según la ordenanza")
    total = ordenanza.barrido.barrenderos
    if total is None:
        return {}, "la ordenanza no dice cuántos barrenderos hay: sin carga por barrendero"
    libres = total - sum(propios.values())
    resto_s = [s for s in sectores if s not in propios]
    ml = np.array([float(ml_por_sector.get(s, 0)) for s in resto_s])
    out = dict(propios)
    if len(resto_s) and ml.sum() > 0 and libres > 0:
        exacto = libres * ml / ml.sum()
        base = np.floor(exacto).astype(int)
        faltan = libres - int(base.sum())
        orden = np.lexsort((np.arange(len(ml)), -(exacto - base)))
        base[orden[:faltan]] += 1
        out.update(dict(zip(resto_s, base.tolist())))
    txt = (f"{total} en total según la ordenanza; su reparto por sector no está publicado, "
           "se reparten en proporción a los ml de vía de cada sector en la base: "
           + ", ".join(f"sector {s}: {out.get(s, 0)}" for s in sectores))
    return out, txt


def _clave_sector(s: str):
    return (0, int(s), s) if str(s).isdigit() else (1, 0, str(s))


def _lado_a_lado(a: pd.DataFrame, b: pd.DataFrame, columnas, clave="sector") -> pd.DataFrame:
    """``<col>_base``, ``<col>_escenario`` y ``<col>_diferencia`` por sector."""
    x = a.set_index(clave)
    y = b.set_index(clave)
    idx = sorted(x.index.union(y.index), key=_clave_sector)
    out = pd.DataFrame({clave: idx})
    for col, dec_ in columnas:
        va = x[col].reindex(idx).to_numpy(dtype=object) if col in x else np.full(len(idx), None)
        vb = y[col].reindex(idx).to_numpy(dtype=object) if col in y else np.full(len(idx), None)
        va = np.array([v if _hay(v) else None for v in va] + [None], dtype=object)[:-1]
        vb = np.array([v if _hay(v) else None for v in vb] + [None], dtype=object)[:-1]
        out[f"{col}_base"] = pd.Series(va, dtype=object)
        out[f"{col}_escenario"] = pd.Series(vb, dtype=object)
        if dec_ is not None:
            out[f"{col}_diferencia"] = [
                (dec(q) if _hay(q) else CERO) - (dec(p) if _hay(p) else CERO)
                for p, q in zip(va, vb)]
    return out


def _hay(x) -> bool:
    return x is not None and not (isinstance(x, float) and np.isnan(x))


def _cuadro_05(c: Corrida, barrenderos: dict[str, int]) -> pd.DataFrame:
    if len(c.microrutas) == 0:
        return pd.DataFrame(columns=["sector"] + [k for k, _ in COLUMNAS_05])
    t = pd.DataFrame(cuadro_microrutas(c.microrutas).filas)
    t["barrenderos"] = t["sector"].map(barrenderos)
    n = t["barrenderos"].to_numpy(dtype=object)
    t["ml_dia_por_barrendero"] = [d / dec(k) if _hay(k) and k else None
                                  for d, k in zip(t["ml_diario"], n)]
    t["ml_semana_por_barrendero"] = [d / dec(k) if _hay(k) and k else None
                                     for d, k in zip(t["ml_semanal"], n)]
    return t


def _cuadro_10(c: Corrida) -> pd.DataFrame:
    c10 = c.resultado.cuadros.get("10")
    if c10 is None:
        return pd.DataFrame(columns=["sector"] + [k for k, _ in COLUMNAS_09_10])
    return pd.DataFrame([{k: f[k] for k in ["sector"] + [k for k, _ in COLUMNAS_09_10]}
                         for f in c10.filas])


def _microrutas_lado_a_lado(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Cuadros 01–04: cada vía y cuadra por sector, antes y después."""
    claves = ["sector", "via", "cuadra"]
    cols = ["frecuencia_semanal", "longitud_ml", "ml_semanal"]
    x = a[claves + cols].rename(columns={c: f"{c}_base" for c in cols})
    y = b[claves + cols].rename(columns={c: f"{c}_escenario" for c in cols})
    for t in (x, y):
        t["cuadra"] = pd.to_numeric(t["cuadra"], errors="coerce").astype("Int64")
    m = x.merge(y, on=claves, how="outer")
    m["ml_semanal_diferencia"] = (m["ml_semanal_escenario"].fillna(0)
                                  - m["ml_semanal_base"].fillna(0)).round(2)
    m["_s"] = m["sector"].map(_clave_sector)
    return m.sort_values(["_s", "via", "cuadra"]).drop(columns="_s").reset_index(drop=True)


def _barrido_por_predio(a: ResultadoTarifas, b: ResultadoTarifas) -> pd.DataFrame:
    cols = ["codigo", "sectores_barrido", "frontis_barrido_m", "barrido_mensual"]
    x = a.predios[cols].set_index("codigo")
    y = b.predios[cols].set_index("codigo")
    idx = x.index.union(y.index)
    out = pd.DataFrame({"codigo": idx})
    for col, nombre in (("sectores_barrido", "sector"), ("frontis_barrido_m", "frontis_ml")):
        out[f"{nombre}_antes"] = x[col].reindex(idx).to_numpy(dtype=object)
        out[f"{nombre}_despues"] = y[col].reindex(idx).to_numpy(dtype=object)
    antes = x["barrido_mensual"].reindex(idx).to_numpy(dtype=object)
    despues = y["barrido_mensual"].reindex(idx).to_numpy(dtype=object)
    out["antes"] = [v if isinstance(v, Decimal) else CERO for v in antes]
    out["despues"] = [v if isinstance(v, Decimal) else CERO for v in despues]
    out["diferencia"] = [q - p for p, q in zip(out["antes"], out["despues"])]
    return out


def comparar_escenarios(
    capas_base: dict[str, gpd.GeoDataFrame],
    capas_escenario: dict[str, gpd.GeoDataFrame],
    ordenanza: Ordenanza,
    distancia: str = "euclidea",
    config: Config = CONFIG,
) -> Comparacion:
    """Deriva y tarifica la base y el escenario, y los compara (ver el docstring del módulo).

    Parameters
    ----------
    capas_base, capas_escenario : capas de cada almacén (CRS métrico); suelen diferir solo en
        ``sectores_barrido`` y en la columna opcional ``sector`` de ``vias``.
    ordenanza : la ordenanza (costo, frecuencias publicadas, barrenderos).
    """
    f_base, f_esc, avisos = frecuencias_efectivas(
        ordenanza, frecuencias_de_capa(capas_base.get("sectores_barrido")),
        frecuencias_de_capa(capas_escenario.get("sectores_barrido")))
    base = _corrida("base", capas_base, ordenanza, f_base, distancia, config)
    esc = _corrida("escenario", capas_escenario, ordenanza, f_esc, distancia, config)
    ml_base = {}
    if len(base.microrutas):
        ml_base = {s: dec(v) for s, v in base.microrutas.groupby("sector")["longitud_ml"].sum()
                   .items()}
    barrenderos, reparto = repartir_barrenderos(ordenanza, ml_base)
    c05 = _lado_a_lado(_cuadro_05(base, barrenderos), _cuadro_05(esc, barrenderos),
                       COLUMNAS_05)
    c0910 = _lado_a_lado(_cuadro_10(base), _cuadro_10(esc), COLUMNAS_09_10)
    por_predio = _barrido_por_predio(base.resultado, esc.resultado)
    dif = np.array([float(x) for x in por_predio["diferencia"]])
    con = np.array([a > 0 or b > 0 for a, b in zip(por_predio["antes"], por_predio["despues"])],
                   dtype=bool)
    conteos = {"pagan_mas": int((dif > 0).sum()), "pagan_menos": int((dif < 0).sum()),
               "igual": int(((dif == 0) & con).sum()), "sin_barrido": int((~con).sum())}
    for r in (base.resultado, esc.resultado):
        avisos += [a for a in r.avisos if "barrido" in a and a not in avisos]
    return Comparacion(base, esc, c05, _microrutas_lado_a_lado(base.microrutas, esc.microrutas),
                       c0910, por_predio, conteos, barrenderos, reparto, avisos)


# --------------------------------------------------------------------------------------------
# Salidas
# --------------------------------------------------------------------------------------------


def _para_csv(df: pd.DataFrame, decimales: dict[str, int]) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        d = next((v for k, v in decimales.items() if c.startswith(k)), None)
        if d is not None:
            out[c] = [redondear(dec(x), d) if _hay(x) else None for x in out[c]]
    return out


def escribir_comparacion(comp: Comparacion, salida: str | Path,
                         titulo: str = "Escenario de micro-rutas de barrido") -> list[Path]:
    """Escribe los CSV comparados y el mapa de diferencias en ``salida``.

    ``cuadro_05_comparado.csv``, ``cuadros_01_04_comparado.csv`` (vía y cuadra),
    ``cuadro_09_10_comparado.csv``, ``barrido_por_predio.csv`` (codigo, antes, despues,
    diferencia en S/ al mes) y ``mapa_diferencias.html``.
    """
    from geo.capas import archivo_atomico
    from geo.mapas.interactivos import escribir_html

    salida = Path(salida)
    salida.mkdir(parents=True, exist_ok=True)
    tablas = {
        "cuadro_05_comparado.csv": _para_csv(comp.cuadro_05, {
            k: (2 if d is None else d) for k, d in COLUMNAS_05 if d is not None}),
        "cuadros_01_04_comparado.csv": comp.microrutas,
        "cuadro_09_10_comparado.csv": _para_csv(comp.cuadro_09_10, dict(COLUMNAS_09_10)),
        "barrido_por_predio.csv": _para_csv(comp.barrido_por_predio, {
            "antes": 2, "despues": 2, "diferencia": 2, "frontis_ml": 2}),
    }
    escritos = []
    for nombre, t in tablas.items():
        with archivo_atomico(salida / nombre) as tmp:
            t.to_csv(tmp, index=False, encoding="utf-8-sig")
        escritos.append(salida / nombre)
    escritos.append(escribir_html(mapa_diferencias(comp, titulo),
                                  salida / "mapa_diferencias.html"))
    return escritos


def clases_diferencia(dif: np.ndarray):
    """Clases divergentes simétricas del cambio (S/ al mes): azul paga menos, rojo paga más.

    Límites: los terciles del |cambio| de los predios que cambian; «sin cambio» al centro;
    NaN (sin barrido en ninguno de los dos) → -1 (gris).

    Returns
    -------
    clase : índice de clase por elemento; clases : leyenda (:class:`geo.mapas.temas.Clase`).
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    from geo.mapas.temas import Clase, soles

    a = np.abs(dif[np.isfinite(dif) & (dif != 0)])
    lim = np.unique(np.round(np.quantile(a, [1 / 3, 2 / 3, 1.0]), 2)) if len(a) else \
        np.array([0.01])
    lim = lim[lim > 0] if (lim > 0).any() else np.array([0.01])
    n = len(lim)
    cmap = colormaps["RdBu_r"]
    desde = np.r_[0.0, lim[:-1]]
    clases = [Clase(f"Paga menos: {soles(desde[k])} a {soles(lim[k])}",
                    to_hex(cmap(0.5 - 0.45 * (k + 1) / n))) for k in reversed(range(n))]
    clases.append(Clase("Sin cambio", "#f0f0f0"))
    clases += [Clase(f"Paga más: {soles(desde[k])} a {soles(lim[k])}",
                     to_hex(cmap(0.5 + 0.45 * (k + 1) / n))) for k in range(n)]
    ok = np.isfinite(dif)
    k = np.minimum(np.searchsorted(lim, np.round(np.abs(np.where(ok, dif, 0)), 2)), n - 1)
    clase = np.where(dif < 0, n - 1 - k, np.where(dif > 0, n + 1 + k, n))
    return np.where(ok, clase, -1).astype(int), clases


def mapa_diferencias(comp: Comparacion, titulo: str) -> str:
    """HTML autónomo (Leaflet incrustado, sin red): predios coloreados por el cambio de su
    arbitrio de barrido mensual, con los sectores de la base y del escenario."""
    from geo.mapas.interactivos import html_mapa
    from geo.mapas.temas import Capa, Tema, agrupar_huellas, categorica, texto

    pred = comp.escenario.derivados.predios
    t = comp.barrido_por_predio.set_index("codigo")
    p = pred[[c for c in ("codigo", "direccion", "predio_matriz") if c in pred.columns]
             + [pred.geometry.name]].copy()
    cod = p["codigo"].astype(str)
    for col in ("sector_antes", "sector_despues"):
        p[col] = cod.map(t[col]).fillna("")
    for col in ("antes", "despues", "diferencia"):
        p[col] = cod.map(t[col]).map(lambda x: float(x) if _hay(x) else np.nan)
    h = agrupar_huellas(p)
    q = h.predios
    dif_h = np.bincount(h.elemento, weights=q["diferencia"].fillna(0).to_numpy(),
                        minlength=len(h.geometrias))
    sin_h = np.bincount(h.elemento, weights=(~((q["antes"].fillna(0) == 0)
                                               & (q["despues"].fillna(0) == 0))).astype(float),
                        minlength=len(h.geometrias)) == 0
    clase, clases = clases_diferencia(np.where(sin_h, np.nan, dif_h))
    campos = [("codigo", "Código catastral", "texto")]
    if "direccion" in q.columns:
        campos.append(("direccion", "Dirección", "texto"))
    campos += [("sector_antes", "Sector de barrido (base)", "texto"),
               ("sector_despues", "Sector de barrido (escenario)", "texto"),
               ("antes", "Barrido mensual, base", "soles"),
               ("despues", "Barrido mensual, escenario", "soles"),
               ("diferencia", "Cambio mensual", "soles")]
    filas = pd.DataFrame({c: (q[c].astype(float) if f == "soles" else texto(q[c]))
                          for c, _, f in campos})
    capas = []
    for lado, corrida, estilo in (
            ("base", comp.base, {"weight": 2.5, "fill": False, "dashArray": "6 4"}),
            ("escenario", comp.escenario, {"weight": 2, "fillOpacity": 0.08})):
        s = corrida.sectores
        if s is None or len(s) == 0:
            continue
        c, cl = categorica(s["sector"])
        capas.append(Capa(
            id=f"sectores_{lado}", nombre=f"Sectores de barrido ({lado})", tipo="poligono",
            geometrias=s.geometry.to_numpy(), clase=c, clases=cl,
            filas=pd.DataFrame({"sector": texto(s["sector"]),
                                "frecuencia": s["frecuencia_semanal"].astype(float)}),
            elemento=np.arange(len(s)),
            campos=[("sector", "Sector", "texto"), ("frecuencia", "Días por semana", "entero")],
            estilo=estilo, titulo_leyenda=f"Sectores ({lado})", visible=lado == "escenario"))
    capas.append(Capa(
        id="predios", nombre="Predios", tipo="poligono", geometrias=h.geometrias, clase=clase,
        clases=clases, filas=filas, elemento=h.elemento, campos=campos,
        estilo={"color": "#666666", "weight": 0.5, "fillOpacity": 0.8},
        titulo_leyenda="Cambio del arbitrio de barrido (S/ al mes; gris: sin barrido)",
        buscable=True))
    c = comp.conteos
    tema = Tema("mapa_diferencias.html", titulo,
                f"Pagan más: {c['pagan_mas']:,} · pagan menos: {c['pagan_menos']:,} · "
                f"igual: {c['igual']:,}", capas)
    fuente = "Fuente: catastro municipal; comparación base → escenario (catastro escenario)"
    return html_mapa(tema, pred.crs, titulo, fuente)


def comparar_almacenes(base: str | Path, escenario: str | Path, ordenanza=None,
                       distancia: str = "euclidea", config: Config = CONFIG) -> Comparacion:
    """:func:`comparar_escenarios` leyendo dos GeoPackage (``catastro escenario``)."""
    from geo.flujo import cargar_capas
    from geo.ordenanza import cargar_ordenanza

    if ordenanza is None or isinstance(ordenanza, (str, Path)):
        ordenanza = cargar_ordenanza(ordenanza)
    return comparar_escenarios(cargar_capas(base, config), cargar_capas(escenario, config),
                               ordenanza, distancia, config)

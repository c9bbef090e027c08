"""Derivaciones espaciales por predio: frontis, categoría de parques, zonas y micro-rutas.

Orquesta :mod:`geo.frontis`, :mod:`geo.proximidad`, :mod:`geo.zonas` y :mod:`geo.microrutas`
sobre las capas del distrito (ya en el CRS métrico). Todo se calcula por **huella** (las
unidades de propiedad horizontal comparten la del predio matriz) y se reparte a los predios.

Columnas que se agregan a ``predios``: ``frontis_m``, ``categoria_parques``,
``area_verde_cercana``, ``distancia_area_verde_m``, ``zona_recoleccion``,
``sector_recoleccion``, ``sector_barrido`` (el del trozo de frontis más largo; vacío sin
frontis), ``zona_serenazgo``, ``barrio`` (de la capa ``barrios``; si falta o el predio queda
fuera, el declarado), ``diferencia_frontis_m`` (derivado − declarado) y ``flags``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._escritor import despedir
from geo.capas import (
    EscrituraAparte,
    SinArrow,
    archivo_atomico,
    como_primera_capa,
    escribir_capa_gpkg,
    escribir_preparada,
    exigir_metrico,
    preparar_capa,
    sqlite_temporal,
)
from geo.config import CONFIG, Config
from geo.errores import ErrorDatos, Problema, cuenta
from geo.esquema import COLUMNAS_PERSONALES
from geo.frontis import (
    area_esperada,
    avisos_sin_frontis,
    calcular_frontis,
    cuenta_aviso,
    exigir_mismo_crs,
    huellas,
    medir_frontis,
    problemas_por_huella,
    resumen_fuera,
    vias_sin_ancho,
)
from geo.memoria import bajando_a_disco, devolver_memoria_libre, soltar_cache
from geo.microrutas import microrutas as calcular_microrutas
from geo.microrutas import totales_por_sector
from geo.proximidad import (
    CATEGORIAS,
    DISTANCIAS,
    categoria_parques,
    en_zona_urbana,
    verde_mas_cercano,
)
from geo.zonas import PrediosEnZonas, asignar_zonas, avisos_divididos, cubre

log = logging.getLogger(__name__)

COLUMNAS_DERIVADAS = [
    "frontis_m", "categoria_parques", "area_verde_cercana", "distancia_area_verde_m",
    "zona_recoleccion", "sector_recoleccion", "sector_barrido", "zona_serenazgo", "barrio",
    "diferencia_frontis_m", "flags",
]
FISCALIZAR_MIN_M = 2.0
"""Diferencia mínima (m) entre frontis declarado y derivado para fiscalizar…"""
FISCALIZAR_MIN_FRACCION = 0.10
"""…o, si es mayor, esta fracción del frontis declarado."""


@dataclass
class Derivados:
    """Resultado de :func:`derivar`.

    Attributes
    ----------
    predios : capa de predios con las columnas derivadas.
    frentes : trozos de frontis por predio, vía, cuadra y sector de barrido.
    microrutas : metros lineales por sector, vía y cuadra (con geometría).
    avisos : problemas con código estable (``PREDIO_SIN_FRONTIS``, ``FRONTIS_SIN_VIA``,
        ``ZONA_DIVIDIDA``, ``FRENTE_SIN_SECTOR``, ``PREDIO_SIN_ZONA``). Los predios para los
        que no hace falta acción (zona rural sin servicio, terreno abierto) no llevan un aviso
        cada uno: se cuentan en un aviso de resumen por código, con ``elemento`` vacío.
    """

    predios: gpd.GeoDataFrame
    frentes: gpd.GeoDataFrame
    microrutas: gpd.GeoDataFrame
    avisos: list[Problema] = field(default_factory=list)
    umbral_cerca_m: float = 100.0
    distancia: str = "euclidea"
    n_vias: int = 0
    """Vías de la capa medida (0: no se sabe)."""
    vias_sin_ancho: dict[float, int] = field(default_factory=dict)
    """Vías sin ``ancho_m``, por el ancho por defecto de su tipo (m) con que se midieron."""

    def resumen(self) -> str:
        """Resumen en español: conteos por categoría, zona y sector; predios sin frontis y
        predios divididos entre zonas."""
        p = self.predios
        n = len(p)
        lineas = [f"Derivaciones de {cuenta(n, 'predio', 'predios')}"]
        sin = p.loc[(p["frontis_m"] <= 0).to_numpy(), "codigo"]  # solo la columna que se lista
        lineas.append(
            f"Frontis: {p['frontis_m'].sum():,.2f} m en total; "
            f"{cuenta(len(self.frentes), 'trozo', 'trozos')}; "
            f"{cuenta(len(sin), 'predio sin frontis', 'predios sin frontis')}.")
        dist = "euclídea" if self.distancia == "euclidea" else "por la red de vías"
        lineas.append(f"Categoría de parques (cerca = hasta {self.umbral_cerca_m:g} m, "
                      f"distancia {dist}):")
        por_categoria = p["categoria_parques"].value_counts()
        for letra, nombre in CATEGORIAS.items():
            lineas.append(f"  {letra} {nombre}: {int(por_categoria.get(letra, 0)):,}")
        for col, titulo in (("zona_recoleccion", "Zonas de recolección"),
                            ("sector_recoleccion", "Sectores de recolección"),
                            ("sector_barrido", "Sectores de barrido"),
                            ("zona_serenazgo", "Zonas de serenazgo"),
                            ("barrio", "Barrios")):
            c = p[col].fillna("(sin asignar)").value_counts().sort_index()
            # «; » entre partes: la coma ya separa los miles (1,250)
            partes = "; ".join(f"{k}: {v:,}" for k, v in c.items())
            lineas.append(f"{titulo}: {partes}")
        if len(self.microrutas):
            lineas.append("Micro-rutas de barrido (por sector):")
            for _, r in totales_por_sector(self.microrutas).iterrows():
                lineas.append(
                    f"  sector {r['sector']}: {cuenta(r['cuadras'], 'cuadra', 'cuadras')}, "
                    f"{r['longitud_ml']:,.2f} ml, "
                    f"{r['frecuencia_semanal']:g} días/semana, {r['ml_semanal']:,.2f} ml/semana")
        divididos = p.loc[p["flags"].str.contains("dividid", regex=False, na=False).to_numpy(bool),
                          "codigo"]
        lineas.append(f"Predios divididos entre dos zonas (> 10 % en la segunda): "
                      f"{len(divididos):,}{_lista(divididos)}")
        interiores = {a.elemento for a in self.avisos
                      if a.codigo == "PREDIO_SIN_FRONTIS" and a.elemento}
        abierto = sum(cuenta_aviso(a) for a in self.avisos
                      if a.codigo == "PREDIO_SIN_FRONTIS" and not a.elemento)
        sin_via = {a.elemento for a in self.avisos if a.codigo == "FRONTIS_SIN_VIA"}
        lineas.append(f"Predios sin frontis: {len(sin):,}{_lista(sin)}")
        lineas.append(f"  interiores (PREDIO_SIN_FRONTIS): {len(interiores):,}; con lindero "
                      f"exterior cerca de una vía (FRONTIS_SIN_VIA): {len(sin_via):,}; "
                      f"frente a terreno abierto: {abierto:,}")
        if self.vias_sin_ancho:
            lineas.append(self._nota_anchos(len(sin_via)))
        # un aviso de resumen (elemento vacío) cuenta por los predios que agrupa
        por_codigo: dict[str, int] = {}
        for a in self.avisos:
            por_codigo[a.codigo] = por_codigo.get(a.codigo, 0) + cuenta_aviso(a)
        if por_codigo:
            partes = sorted(por_codigo.items(), key=lambda kv: (-kv[1], kv[0]))
            lineas.append("Avisos (predios): " + "; ".join(f"{k} {v:,}" for k, v in partes))
        return "\n".join(lineas)

    def _nota_anchos(self, sin_via: int) -> str:
        """Cuántas vías se midieron sin ``ancho_m`` y, si hay predios con lindero exterior
        cerca de una vía pero sin frontis, cómo completar los anchos."""
        n = sum(self.vias_sin_ancho.values())
        de = f" de {self.n_vias:,}" if self.n_vias else ""
        anchos = ", ".join(f"{c:,} con {a:g} m" for a, c in sorted(self.vias_sin_ancho.items()))
        texto = (f"Vías sin ancho_m: {n:,}{de}; se midieron con el ancho por defecto de su tipo "
                 f"({anchos}).")
        if sin_via:
            texto += (f" Si las calles son más anchas, los predios que dan a ellas quedan sin "
                      f"frontis ({sin_via:,} con FRONTIS_SIN_VIA): complete ancho_m en la capa "
                      "'vias' o estímelo de los linderos de manzana con 'catastro importar "
                      "ORIGEN --capa vias --estimar-ancho' (ORIGEN puede ser el mismo "
                      "GeoPackage, con --capa-origen vias).")
        return texto

    def fiscalizacion(
        self,
        tarifa_barrido_ml_mes: float | Mapping[str, float] | None = None,
        incluir_personales: bool = False,
    ) -> pd.DataFrame:
        """Lista para fiscalización de campo: frontis declarado vs derivado.

        Se listan los predios con ``|diferencia| > max(2 m, 10 % del declarado)``, ordenados
        por impacto en la tasa: ``|diferencia| × tarifa de barrido por ml al mes`` si se da
        (un número, o un dict sector → tarifa), si no ``|diferencia| × frecuencia semanal``.

        Parameters
        ----------
        incluir_personales : incluir ``contribuyente`` y ``documento`` (datos personales).
        """
        p = self.predios
        if "frontis_declarado_m" not in p.columns:
            return pd.DataFrame(columns=["codigo", "frontis_declarado_m", "frontis_m",
                                         "diferencia_frontis_m", "impacto"])
        dif = p["diferencia_frontis_m"]
        decl = pd.to_numeric(p["frontis_declarado_m"], errors="coerce")
        umbral = np.maximum(FISCALIZAR_MIN_M, FISCALIZAR_MIN_FRACCION * decl.abs())
        sel = p[dif.abs() > umbral].copy()
        frec = _frecuencia_predio(self.frentes).reindex(sel["codigo"].astype(str)).to_numpy()
        sel["frecuencia_semanal"] = frec
        if tarifa_barrido_ml_mes is None:
            sel["impacto"] = sel["diferencia_frontis_m"].abs() * np.nan_to_num(frec, nan=1.0)
            unidad = "ml × días/semana"
        else:
            if isinstance(tarifa_barrido_ml_mes, Mapping):
                tarifa = sel["sector_barrido"].map(tarifa_barrido_ml_mes).astype(float)
            else:
                tarifa = float(tarifa_barrido_ml_mes)
            sel["impacto"] = (sel["diferencia_frontis_m"].abs() * tarifa).round(2)
            unidad = "S/ al mes"
        sel["motivo"] = np.where(
            sel["diferencia_frontis_m"] > 0,
            "Frontis medido mayor que el declarado: posible subdeclaración",
            "Frontis medido menor que el declarado: verificar (¿vía faltante, error de HAD?)")
        sel["unidad_impacto"] = unidad
        cols = ["codigo", "direccion", "sector_barrido", "frecuencia_semanal",
                "frontis_declarado_m", "frontis_m", "diferencia_frontis_m", "impacto",
                "unidad_impacto", "motivo"]
        if incluir_personales:
            cols[1:1] = [c for c in ("contribuyente", "documento") if c in sel.columns]
        cols = [c for c in cols if c in sel.columns]
        return pd.DataFrame(sel[cols]).sort_values(
            ["impacto", "codigo"], ascending=[False, True]).reset_index(drop=True)


def _lista(codigos: pd.Series, maximo: int = 20) -> str:
    c = [str(x) for x in codigos]
    if not c:
        return ""
    mas = f" y {len(c) - maximo} más" if len(c) > maximo else ""
    return " (" + ", ".join(c[:maximo]) + mas + ")"


def _frecuencia_predio(frentes: pd.DataFrame) -> pd.Series:
    if frentes.empty:
        return pd.Series(dtype=float)
    f = frentes.sort_values("longitud_m", ascending=False, kind="stable")
    f = f.drop_duplicates("codigo")
    return pd.Series(f["frecuencia_semanal"].to_numpy(dtype=float),
                     index=f["codigo"].astype(str))


def derivar(
    capas: dict[str, gpd.GeoDataFrame],
    umbral_cerca_m: float = 100.0,
    distancia: str = "euclidea",
    config: Config = CONFIG,
    al_tener_frentes=None,
) -> Derivados:
    """Deriva frontis, categoría de parques, zonas y micro-rutas de las capas del distrito.

    Parameters
    ----------
    capas : capas por nombre (ver :mod:`geo.esquema`), en CRS métrico. Obligatorias:
        ``predios`` y ``vias``; las demás, si faltan, dejan sus columnas vacías.
    umbral_cerca_m : distancia (m) de la categoría B «cerca»; viene de la ordenanza.
    distancia : ``"euclidea"`` (borde a borde) o ``"red"`` (por la red de vías).
    config : tolerancia y anchos de vía por defecto.
    al_tener_frentes : función que recibe ``Derivados.frentes`` apenas se mide el frontis,
        antes de terminar lo demás (p. ej. :meth:`EscrituraDerivados.frentes`, que vuelve
        enseguida). Se llama en este hilo: lo que tarde, lo demora todo.

    Returns
    -------
    Derivados
    """
    with sin_recolector():
        return _derivar(capas, umbral_cerca_m, distancia, config, al_tener_frentes)


@contextmanager
def sin_recolector():
    """Pausa el recolector de ciclos de Python (``gc``) mientras dura el bloque.

    Derivar crea millones de geometrías de shapely; cada 700 objetos nuevos el recolector
    se activa y con tantos objetos vivos sus pasadas suman segundos (100k predios: ~3 s de
    16 s). El código de este bloque no deja ciclos de basura (``gc.collect()`` al final no
    recoge nada), así que pausarlo no cambia la memoria.
    """
    activo = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if activo:
            gc.enable()


def _derivar(capas, umbral_cerca_m, distancia, config, al_tener_frentes=None) -> Derivados:
    if distancia not in DISTANCIAS:
        raise ErrorDatos(
            f"distancia='{distancia}' no es válida: use una de {', '.join(DISTANCIAS)}.",
            "PARAMETRO_INVALIDO")
    for nombre in ("predios", "vias"):
        if nombre not in capas:
            raise ErrorDatos(f"Falta la capa obligatoria '{nombre}' para derivar.",
                             "CAPA_FALTANTE")
    predios = capas["predios"]
    for nombre, capa in capas.items():
        if capa is not None:
            exigir_metrico(capa, nombre)
            exigir_mismo_crs(predios, capa, "predios", nombre)
    vias = capas["vias"]
    sectores = capas.get("sectores_barrido")
    verdes = capas.get("areas_verdes")

    huella, hgeoms, claves = huellas(predios)
    # Lo que solo depende de las huellas y de otras capas (zonas, área verde más cercana,
    # zona urbana; micro-rutas, más tarde) se calcula en otro hilo mientras se mide y se
    # reparte el frontis (GEOS y numpy sueltan el GIL). Sus errores se levantan al pedir el
    # resultado, en el mismo orden que si todo fuera secuencial.
    if verdes is None:
        verdes = gpd.GeoDataFrame({"nombre": []}, geometry=gpd.GeoSeries([]), crs=predios.crs)
    arbol = shapely.STRtree(hgeoms)  # uno solo para zonas y para buscar vías cercanas
    en_zonas = PrediosEnZonas(hgeoms, arbol)  # zonas y zona urbana, en el mismo hilo
    with ThreadPoolExecutor(1) as hilo:
        zonas_en_curso = hilo.submit(asignar_zonas, hgeoms, capas, arbol=arbol,
                                     predios=en_zonas)
        cercana = None
        if distancia == "euclidea" and len(verdes):
            cercana = hilo.submit(verde_mas_cercano, hgeoms, verdes.geometry.to_numpy())
        urbana = hilo.submit(en_zona_urbana, hgeoms, capas.get("zona_urbana"), en_zonas)

        def avisos_de_zonas():
            zon = zonas_en_curso.result()  # ya terminó: el hilo hace las tareas en fila
            return (avisos_divididos(zon, claves, hgeoms)
                    + avisos_sin_zona(zon, claves, hgeoms, capas.get("zonas_recoleccion"),
                                      capas.get("zona_urbana")))

        medida = medir_frontis(hgeoms, vias, capas.get("areas_verdes"), config, arbol)
        # la categoría de parques solo necesita los tramos ya asignados a una vía: se calcula
        # en el hilo de al lado (ya libre) mientras aquí se reparte el frontis
        parques = hilo.submit(categoria_parques, hgeoms, medida.tabla, vias, verdes,
                              capas.get("zona_urbana"), umbral_cerca_m, distancia, config,
                              cercana, urbana)
        sin_frontis = hilo.submit(avisos_sin_frontis, medida, claves, hgeoms, huella, vias,
                                  config)
        # micro-rutas y avisos de zonas, al final de la fila: nadie los espera antes de armar
        # los predios. Calculados mientras se medía el frontis le quitaban núcleo a su parte
        # en dos hilos; aquí ocupan el núcleo que calcular_frontis (pandas, uno solo) deja
        # libre. Con un millón, los frentes salen ~0,6 s antes
        rutas_en_curso = hilo.submit(_microrutas, vias, sectores, predios.crs)
        avisos_zonas = hilo.submit(avisos_de_zonas)
        fr = calcular_frontis(predios, vias, sectores, capas.get("areas_verdes"), config,
                              capas.get("zona_urbana"), (huella, hgeoms, claves), medida,
                              sin_frontis, al_tener_frentes)
        del medida
        prox = parques.result()
        zon = zonas_en_curso.result()
        rutas = rutas_en_curso.result()
        avisos = list(fr.avisos) + avisos_zonas.result()
    out = _armar(predios, fr, prox, zon)

    avisos.sort(key=lambda a: (a.codigo, a.elemento))

    log.info("derivados %d predios, %d trozos de frontis, %d avisos", len(out),
             len(fr.frentes), len(avisos))
    return Derivados(out, fr.frentes, rutas, avisos, float(umbral_cerca_m), distancia,
                     len(vias), vias_sin_ancho(vias, config))


def _armar(predios: gpd.GeoDataFrame, fr, prox: pd.DataFrame, zon: pd.DataFrame
           ) -> gpd.GeoDataFrame:
    """``predios`` con las columnas derivadas (de frontis, parques y zonas por huella)."""
    huella = fr.huella
    out = predios.copy(deep=False)  # se agregan columnas; pandas ≥ 3 copia al escribir
    out["frontis_m"] = fr.frontis_m
    for col in ("categoria_parques", "area_verde_cercana", "distancia_area_verde_m"):
        out[col] = prox[col].to_numpy()[huella]
    for col in ("zona_recoleccion", "sector_recoleccion", "zona_serenazgo", "barrio"):
        out[col] = zon[col].to_numpy()[huella]
    if "barrio" in predios.columns:
        decl = predios["barrio"].astype(object)
        out["barrio"] = out["barrio"].where(out["barrio"].notna(), decl)
    out["barrio"] = out["barrio"].astype(object).where(out["barrio"].notna(), None)
    out["sector_barrido"] = fr.sector_huella[huella]
    if "frontis_declarado_m" in predios.columns:
        decl = pd.to_numeric(predios["frontis_declarado_m"], errors="coerce")
        out["diferencia_frontis_m"] = (out["frontis_m"] - decl).round(2)
    else:
        out["diferencia_frontis_m"] = np.nan

    marcas = zon["flags"].to_numpy()[huella]
    extra = fr.marca_huella[huella]
    flags = marcas.copy()  # marcas de zona y de frontis separadas por ';'
    solo_extra = (marcas == "") & (extra != "")
    flags[solo_extra] = extra[solo_extra]
    ambas = (marcas != "") & (extra != "")
    flags[ambas] = marcas[ambas] + ";" + extra[ambas]
    out["flags"] = flags
    return out


def _microrutas(vias: gpd.GeoDataFrame, sectores: gpd.GeoDataFrame | None,
                crs) -> gpd.GeoDataFrame:
    """Micro-rutas de barrido, o una capa vacía (con sus columnas) si no hay sectores."""
    if sectores is not None and len(sectores):
        return calcular_microrutas(vias, sectores)
    return gpd.GeoDataFrame({c: [] for c in ("sector", "frecuencia_semanal", "via", "cuadra",
                                             "longitud_ml", "ml_semanal")},
                            geometry=gpd.GeoSeries([]), crs=crs)


def avisos_sin_zona(zon: pd.DataFrame, claves: np.ndarray, hgeoms: np.ndarray,
                    zonas: gpd.GeoDataFrame | None,
                    zona_urbana: gpd.GeoDataFrame | None) -> list[Problema]:
    """``PREDIO_SIN_ZONA`` de las huellas sin zona de recolección.

    Por predio solo si su punto interior cae en el área que la capa debería cubrir (zona
    urbana o envolvente convexa de alguna parte de las zonas, ver
    :func:`geo.frontis.area_esperada`): ahí es un hueco en los límites. Los de fuera (zona
    rural sin servicio) se cuentan en un solo aviso de resumen con elemento vacío.
    """
    if zonas is None:
        return []
    sin = np.flatnonzero(zon["zona_recoleccion"].isna().to_numpy())
    if len(sin) == 0:
        return []
    punto = shapely.point_on_surface(hgeoms[sin])
    dentro = cubre(area_esperada(zonas, zona_urbana), shapely.get_x(punto), shapely.get_y(punto))
    avisos = problemas_por_huella(
        "PREDIO_SIN_ZONA", claves[sin[dentro]], hgeoms[sin[dentro]],
        "El predio queda fuera de todas las zonas de recolección, dentro del área que deberían "
        "cubrir: revise los límites de la capa 'zonas_recoleccion'.")
    if (~dentro).any():
        avisos.append(resumen_fuera(
            "PREDIO_SIN_ZONA", claves[sin[~dentro]],
            "predios quedan fuera de las zonas de recolección y de su área (zona urbana y "
            "envolvente de cada zona): sin servicio de recolección, normal en zona rural."))
    return avisos


def escribir_derivados(derivados: Derivados, ruta: str | os.PathLike,
                       incluir_personales: bool = True) -> Path:
    """Escribe ``predios``, ``frentes`` y ``microrutas`` en un GeoPackage, de forma atómica.

    Las geometrías se promueven a multi (MultiPolygon, MultiLineString) para que cada capa
    tenga un solo tipo y se abra tal cual en QGIS (:func:`geo.capas.escribir_capa_gpkg`).
    Para empezar a escribir ``frentes`` antes de terminar de derivar, ver
    :class:`EscrituraDerivados`.

    Parameters
    ----------
    incluir_personales : si es falso, quita ``contribuyente`` y ``documento``.
    """
    with EscrituraDerivados(ruta, incluir_personales) as escritura:
        escritura.terminar(derivados)
    return Path(ruta)


FILAS_EN_OTRO_PROCESO = 200_000
"""Desde cuántos trozos de frontis :class:`EscrituraDerivados` escribe ``frentes`` en otro
proceso mientras se termina de derivar, si no recibió uno ya lanzado (con pocos, lanzar el
proceso en ese momento, ~0,8 s de importar pyarrow y pyogrio, cuesta más de lo que ahorra)."""

FILAS_PARA_BAJAR_A_DISCO = 50_000
"""Desde cuántos predios (o trozos de frontis) :class:`EscrituraDerivados` manda el archivo al
disco mientras lo escribe (:func:`geo.memoria.bajando_a_disco`): con 100k predios el archivo
tiene ~75 MB y su ``fsync`` final tardaba ~0,2 s; con pocos, lanzar el proceso no compensa."""


class EscrituraDerivados:
    """Escritura atómica del GeoPackage de derivados que puede empezar por ``frentes``
    mientras se termina de derivar.

    :meth:`frentes` (que :func:`derivar` llama apenas mide el frontis, si se le pasa como
    ``al_tener_frentes``) manda la capa a otro proceso (:class:`geo.capas.EscrituraAparte`)
    cuando es grande; :meth:`terminar` espera ese proceso y escribe ``predios`` y
    ``microrutas``. Si algo falla antes de terminar, el proceso se detiene y el destino queda
    como estaba. Con un millón de predios ahorra ~4 s.

    ``escritor``: un proceso de :func:`geo._escritor.lanzar` lanzado antes (mientras se
    importaba y se leía: ver ``catastro derivar``); :meth:`frentes` lo usa con cualquier
    cantidad de trozos, y si no se usa se lo despide al salir.

    Uso::

        with EscrituraDerivados(salida) as escritura:
            derivados = derivar(capas, al_tener_frentes=escritura.frentes)
            escritura.terminar(derivados)
    """

    def __init__(self, ruta: str | os.PathLike, incluir_personales: bool = True,
                 escritor=None):
        self.destino = Path(ruta)
        self.incluir_personales = incluir_personales
        self._escritor = escritor
        self._aparte = None
        self._enviados = None
        self._terminado = False
        self._bajando = False  # un proceso de geo._bajar_a_disco ya vigila el temporal

    def __enter__(self) -> "EscrituraDerivados":
        self._pila = contextlib.ExitStack()
        try:
            self._tmp = self._pila.enter_context(archivo_atomico(self.destino))
        except BaseException:  # p. ej. una carpeta sin permiso: no queda nada esperando
            self._despedir_escritor()
            raise
        return self

    def _despedir_escritor(self) -> None:
        """Despide el proceso escritor lanzado de antemano, si no se usó."""
        if self._escritor is not None:
            despedir(self._escritor)
            self._escritor = None

    def frentes(self, frentes: gpd.GeoDataFrame) -> None:
        """Empieza a escribir la capa ``frentes`` (definitiva) en otro proceso si es grande o
        si ya hay uno lanzado (``escritor``); vuelve enseguida (ver
        :class:`geo.capas.EscrituraAparte`)."""
        if self._aparte is not None or (self._escritor is None
                                        and len(frentes) < FILAS_EN_OTRO_PROCESO):
            return
        soltar_cache(self.destino)  # la versión anterior, que se reemplaza
        self._bajar_a_disco()
        escritor, self._escritor = self._escritor, None
        self._aparte = EscrituraAparte(frentes, self._tmp, "frentes", escritor)
        self._enviados = frentes

    def _bajar_a_disco(self) -> None:
        """Desde ya y hasta el final, lo escrito en el temporal baja al disco mientras se
        escribe el resto. Se detiene antes del ``fsync`` y del renombre de
        :func:`geo.capas.archivo_atomico`, que entró antes en la pila."""
        if not self._bajando:
            self._pila.enter_context(bajando_a_disco(self._tmp))
            self._bajando = True

    def terminar(self, derivados: Derivados) -> None:
        """Escribe lo que falta (todo, si ``frentes`` no se empezó antes)."""
        if max(len(derivados.predios), len(derivados.frentes)) >= FILAS_PARA_BAJAR_A_DISCO:
            self._bajar_a_disco()
        predios = derivados.predios
        if not self.incluir_personales:
            predios = predios.drop(
                columns=[c for c in COLUMNAS_PERSONALES if c in predios.columns])
        with sin_recolector(), sqlite_temporal():
            # predios se pasa a Arrow mientras el otro proceso termina de escribir frentes
            preparada = preparar_capa(predios)
            devolver_memoria_libre()  # la caché del archivo que se escribe la reusa
            soltar_cache(self.destino)
            self._escribir_frentes(derivados.frentes)
            with como_primera_capa(self._tmp, ["frentes"]):  # índice espacial en otro hilo
                escribir_preparada(preparada, self._tmp, "predios")
            del preparada
            escribir_capa_gpkg(derivados.microrutas, self._tmp, "microrutas")
        self._terminado = True

    def _escribir_frentes(self, frentes: gpd.GeoDataFrame) -> None:
        """``frentes`` (los definitivos) en el temporal; si otro proceso ya los empezó, lo
        espera y agrega las filas que le falten."""
        if self._aparte is None:
            escribir_capa_gpkg(frentes, self._tmp, "frentes")
            return
        resto = self._resto_de_frentes(frentes)
        aparte, self._aparte = self._aparte, None
        try:
            aparte.esperar()
        except SinArrow:  # no pasa por Arrow: nada quedó escrito, se escriben todos aquí
            escribir_capa_gpkg(frentes, self._tmp, "frentes")
            return
        if len(resto):
            escribir_capa_gpkg(resto, self._tmp, "frentes", agregar=True)

    def _resto_de_frentes(self, frentes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Las filas de ``frentes`` (los definitivos) que siguen a las que ya se mandaron a
        escribir (p. ej. los trozos sin geometría de predios confirmados sin frontis: ver
        :func:`geo.almacen.agregar_sin_trozo`). Si las mandadas no son su comienzo,
        ``RuntimeError``."""
        enviados = self._enviados
        n = len(enviados)
        if frentes is enviados:
            return frentes.iloc[:0]
        if (list(frentes.columns) != list(enviados.columns) or len(frentes) < n
                or not (frentes["codigo"].to_numpy()[:n] == enviados["codigo"].to_numpy()).all()):
            raise RuntimeError("los frentes cambiaron después de empezar a escribirlos")
        return frentes.iloc[n:]

    def __exit__(self, tipo, valor, traza) -> bool:
        self._despedir_escritor()
        if self._aparte is not None:  # algo falló antes de terminar()
            self._aparte.cancelar()
            self._aparte = None
        if tipo is None and not self._terminado:
            error = RuntimeError("EscrituraDerivados: falta llamar a terminar()")
            self._pila.__exit__(RuntimeError, error, None)  # borra el temporal
            raise error
        return self._pila.__exit__(tipo, valor, traza)  # renombra, o borra si hubo error


def hay_pyarrow() -> bool:
    """pyarrow acelera la lectura y escritura de GeoPackage (pyogrio ``use_arrow``)."""
    import importlib.util

    return importlib.util.find_spec("pyarrow") is not None



"""Láminas imprimibles A3 apaisadas (PDF vectorial y PNG) para anexar a la ordenanza.

Cada tema de :mod:`geo.mapas.temas` da una lámina: el mapa en el CRS métrico de las capas
(EPSG:32718) con cuadrícula UTM en metros, y a la derecha el cajetín: título («Anexo –
Ordenanza N° …»), tema, leyenda, escala gráfica y numérica, norte, fuente y fecha. Además,
``anexo-mapas.pdf`` reúne todas las láminas. Solo matplotlib, sin red y sin ``pyplot`` (sin
estado global).

Las láminas no llevan atributos de predios (ni direcciones ni datos personales): solo colores
por clase y rótulos de sectores y zonas.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, MultipleLocator

from geo.capas import archivo_atomico
from geo.mapas.temas import GRIS, Capa, Tema

log = logging.getLogger(__name__)

A3_MM = (420.0, 297.0)
"""A3 apaisado (ancho × alto, mm)."""
MM = 1 / 25.4
DPI_PNG = 150
_PASOS_M = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000)


def _paso(rango_m: float, lineas: int = 6) -> float:
    """Intervalo «redondo» (m) que da unas ``lineas`` líneas de cuadrícula en ``rango_m``."""
    return next((p for p in _PASOS_M if rango_m / p <= lineas), _PASOS_M[-1])


def _miles(x: float) -> str:
    """455000 → «455 000» (espacio fino como separador de miles, norma del SI)."""
    return f"{x:,.0f}".replace(",", "\u2009")


def _estilo_mpl(capa: Capa) -> dict:
    e = capa.estilo
    grosor = float(e.get("weight", 1.0)) * 0.5
    guion = "--" if e.get("dashArray") else "-"
    return {"grosor": grosor, "guion": guion, "relleno": e.get("fill", True),
            "opacidad": float(e.get("fillOpacity", 0.5)), "borde": e.get("color"),
            "relleno_fijo": e.get("fillColor")}


def _rutas(geoms: np.ndarray, cerrar: bool) -> list[MplPath]:
    """Un ``matplotlib.path.Path`` por geometría, armado de una vez sobre los arreglos de
    shapely (``GeoSeries.plot`` crea un parche por polígono y tarda ~10× más)."""
    partes, i_parte = shapely.get_parts(geoms, return_index=True)
    if cerrar:
        anillos, i_anillo = shapely.get_rings(partes, return_index=True)
    else:
        anillos, i_anillo = partes, np.arange(len(partes))
    xy, i_xy = shapely.get_coordinates(anillos, return_index=True)
    codigos = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
    inicio = np.r_[True, i_xy[1:] != i_xy[:-1]]
    codigos[inicio] = MplPath.MOVETO
    if cerrar:
        codigos[np.r_[inicio[1:], True]] = MplPath.CLOSEPOLY
    geom_de = i_parte[i_anillo[i_xy]]
    cortes = np.flatnonzero(np.diff(geom_de)) + 1
    vacias = np.setdiff1d(np.arange(len(geoms)), geom_de)
    rutas = [MplPath(v, c) for v, c in zip(np.split(xy, cortes), np.split(codigos, cortes))]
    if len(vacias):  # geometrías vacías: ruta vacía para no desalinear los colores
        for i in vacias:
            rutas.insert(int(i), MplPath(np.zeros((0, 2))))
    return rutas


def _rgba(colores, alfa: float | None = None) -> np.ndarray:
    """RGBA (n × 4) de cada color, convirtiendo una sola vez cada color distinto (con un
    millón de predios hay un millón de colores pero solo unas pocas clases)."""
    cual, unicos = pd.factorize(np.asarray(colores, dtype=object))
    return np.array([to_rgba(c, alfa) for c in unicos]).reshape(-1, 4)[cual]


def _dibujar_capa(ax, capa: Capa, factor_grosor: float = 1.0) -> None:
    if len(capa.geometrias) == 0:
        return
    s = _estilo_mpl(capa)
    colores = capa.color_de()
    grosor = s["grosor"] * factor_grosor
    if capa.tipo == "linea":
        ax.add_collection(PathCollection(
            _rutas(capa.geometrias, cerrar=False), facecolors="none",
            edgecolors=_rgba(colores), linewidths=max(grosor, 0.3), linestyles=s["guion"],
            zorder=3))
        return
    if s["relleno"]:
        caras = (to_rgba(s["relleno_fijo"], s["opacidad"]) if s["relleno_fijo"]
                 else _rgba(colores, s["opacidad"]))
    else:
        caras = "none"
    bordes = s["borde"] or _rgba(colores)
    ax.add_collection(PathCollection(
        _rutas(capa.geometrias, cerrar=True), facecolors=caras, edgecolors=bordes,
        linewidths=max(grosor, 0.05), linestyles=s["guion"], zorder=2))
    if capa.rotulos is not None:
        puntos = shapely.point_on_surface(capa.geometrias)
        for p, texto in zip(puntos, capa.rotulos):
            if texto:
                ax.annotate(texto, (p.x, p.y), ha="center", va="center", fontsize=9,
                            fontweight="bold", color="#222222", zorder=6,
                            annotation_clip=True,
                            path_effects=[patheffects.withStroke(linewidth=2.5,
                                                                 foreground="white")])


def _leyenda(ax, tema: Tema) -> None:
    """Leyenda por capa (de arriba hacia abajo como se ven), con los títulos en negrita."""
    manijas, textos, negritas = [], [], []
    for capa in reversed([c for c in tema.capas if c.visible]):
        s = _estilo_mpl(capa)
        clases = [(c.etiqueta, c.color) for c in capa.clases]
        if capa.clases and (capa.clase < 0).any():
            clases.append(("Sin dato", GRIS))
        if not clases:
            clases = [(capa.nombre, capa.estilo.get("color", GRIS))]
        if capa.clases:  # una capa de un solo color no necesita título
            negritas.append(len(textos))
            manijas.append(Patch(visible=False))
            textos.append("\n".join(textwrap.wrap(capa.titulo_leyenda, 44)))
        for etiqueta, color in clases:
            if capa.tipo == "linea":
                manijas.append(Line2D([], [], color=color, linewidth=max(s["grosor"], 1.2),
                                      linestyle=s["guion"]))
            else:
                cara = (to_rgba(s["relleno_fijo"] or color, max(s["opacidad"], 0.35))
                        if s["relleno"] else "none")
                manijas.append(Patch(facecolor=cara, edgecolor=s["borde"] or color,
                                     linestyle=s["guion"], linewidth=0.8))
            textos.append("\n".join(textwrap.wrap(etiqueta, 44)))
    leyenda = ax.legend(manijas, textos, loc="upper left", frameon=False, fontsize=8,
                        handlelength=2.2, borderaxespad=0, labelspacing=0.45,
                        title="Leyenda", title_fontproperties={"weight": "bold", "size": 10},
                        alignment="left")
    for i in negritas:
        leyenda.get_texts()[i].set_fontweight("bold")


def _escala_grafica(ax) -> None:
    """Barra de escala en la esquina inferior izquierda del mapa (datos en metros)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    objetivo = (x1 - x0) / 5
    largo = max(p for p in (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000,
                            10000, 20000) if p <= max(objetivo, 10))
    alto = (y1 - y0) * 0.008
    bx, by = x0 + (x1 - x0) * 0.03, y0 + (y1 - y0) * 0.035
    ax.add_patch(Rectangle((bx - largo * 0.06, by - alto * 2.2), largo * 1.22, alto * 6.2,
                           facecolor="white", edgecolor="#444444", linewidth=0.5, zorder=7,
                           alpha=0.9))
    for i in range(4):
        ax.add_patch(Rectangle((bx + i * largo / 4, by), largo / 4, alto,
                               facecolor="black" if i % 2 == 0 else "white",
                               edgecolor="black", linewidth=0.6, zorder=8))
    unidad, div = ("km", 1000) if largo >= 1000 else ("m", 1)
    for x, v in ((0, 0), (largo / 2, largo / 2), (largo, largo)):
        ax.text(bx + x, by + alto * 1.6, f"{v / div:g}", ha="center", va="bottom",
                fontsize=7, zorder=8)
    ax.text(bx + largo * 1.04, by + alto / 2, unidad, ha="left", va="center", fontsize=7,
            zorder=8)


def _norte(ax) -> None:
    """Flecha del norte (norte de cuadrícula UTM) en la esquina superior derecha."""
    ax.add_patch(FancyArrow(0.955, 0.885, 0, 0.07, width=0.008, head_width=0.028,
                            head_length=0.035, length_includes_head=True,
                            transform=ax.transAxes, facecolor="black", edgecolor="black",
                            zorder=9))
    ax.text(0.955, 0.86, "N", transform=ax.transAxes, ha="center", va="top", fontsize=14,
            fontweight="bold", zorder=9,
            path_effects=[patheffects.withStroke(linewidth=3, foreground="white")])


def lamina(tema: Tema, titulo_ordenanza: str, fecha: dt.date,
           encuadre: tuple[float, float, float, float] | None = None,
           detalle: str = "") -> Figure:
    """La figura A3 apaisada de un tema.

    ``encuadre`` (x0, y0, x1, y1 en metros) limita la vista (por defecto, todos los predios);
    ``detalle`` se agrega al título (p. ej. «detalle de la zona urbana»).
    """
    fig = Figure(figsize=(A3_MM[0] * MM, A3_MM[1] * MM))
    # marco de la hoja y del mapa
    fig.add_artist(Rectangle((8 / A3_MM[0], 8 / A3_MM[1]), 1 - 16 / A3_MM[0],
                             1 - 16 / A3_MM[1], transform=fig.transFigure, fill=False,
                             linewidth=1.2, edgecolor="black"))
    izq, abajo, ancho, alto = 22 / A3_MM[0], 18 / A3_MM[1], 282 / A3_MM[0], 268 / A3_MM[1]
    ax = fig.add_axes((izq, abajo, ancho, alto))
    base = next((c for c in tema.capas if c.id == "predios"), tema.capas[-1])
    x0, y0, x1, y1 = encuadre or shapely.total_bounds(base.geometrias)
    margen = max(x1 - x0, y1 - y0) * 0.04
    x0, x1, y0, y1 = x0 - margen, x1 + margen, y0 - margen, y1 + margen
    # encuadre centrado con la proporción del marco del mapa (metros iguales en x e y)
    proporcion = (alto * A3_MM[1]) / (ancho * A3_MM[0])
    if (y1 - y0) / (x1 - x0) > proporcion:
        cx, mitad = (x0 + x1) / 2, (y1 - y0) / proporcion / 2
        x0, x1 = cx - mitad, cx + mitad
    else:
        cy, mitad = (y0 + y1) / 2, (x1 - x0) * proporcion / 2
        y0, y1 = cy - mitad, cy + mitad
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    # a escala pequeña, miles de bordes de predio de 0,3 pt taparían los colores
    escala_aprox = (x1 - x0) * 1000 / (ancho * A3_MM[0])
    for capa in tema.capas:
        if capa.visible:
            fino = capa.id == "predios" and escala_aprox > 5000
            _dibujar_capa(ax, capa, min(1.0, 5000 / escala_aprox) if fino else 1.0)
    rx = ax.get_xlim()[1] - ax.get_xlim()[0]
    paso = _paso(max(rx, ax.get_ylim()[1] - ax.get_ylim()[0]))
    ax.xaxis.set_major_locator(MultipleLocator(paso))
    ax.yaxis.set_major_locator(MultipleLocator(paso))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{_miles(v)} E"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{_miles(v)} N"))
    ax.tick_params(labelsize=7, top=True, right=True, labeltop=True, labelright=False)
    ax.tick_params(axis="y", labelrotation=90)
    ax.set_xlabel("Este (m)", fontsize=7)
    ax.set_ylabel("Norte (m)", fontsize=7)
    ax.grid(True, color="#888888", linewidth=0.35, linestyle=(0, (4, 3)), zorder=1)
    ax.set_facecolor("#fbfbf8")
    _escala_grafica(ax)
    _norte(ax)
    # escala numérica si se imprime en A3 al 100 %
    ancho_mm = ax.get_position().width * A3_MM[0]
    escala = rx * 1000 / ancho_mm
    escala = round(escala, -math.floor(math.log10(escala)) + 1)

    panel = fig.add_axes((312 / A3_MM[0], 14 / A3_MM[1], 98 / A3_MM[0], 268 / A3_MM[1]))
    panel.set_axis_off()
    panel.add_patch(Rectangle((0, 0), 1, 1, transform=panel.transAxes, fill=False,
                              linewidth=0.8))
    envolver = lambda s, n: "\n".join(textwrap.wrap(s, n))
    panel.text(0.05, 0.985, envolver(f"Anexo – {titulo_ordenanza}", 34), va="top",
               fontsize=12.5, fontweight="bold")
    titulo = f"{tema.titulo} – {detalle}" if detalle else tema.titulo
    panel.text(0.05, 0.905, envolver(titulo, 30), va="top", fontsize=16,
               fontweight="bold", color="#1f3b73")
    panel.text(0.05, 0.85, envolver(tema.descripcion, 52), va="top", fontsize=8,
               color="#333333")
    leyenda = panel.inset_axes((0.05, 0.24, 0.92, 0.52))
    leyenda.set_axis_off()
    _leyenda(leyenda, tema)
    pie = (
        f"Escala 1:{_miles(escala)} (impreso en A3 al 100 %)\n"
        "Sistema de referencia: WGS 84 / UTM zona 18 Sur (EPSG:32718);\n"
        "cuadrícula en metros, norte de cuadrícula.\n"
        "Fuente: catastro municipal (capas del distrito) y\n"
        "derivaciones del sistema catastro.\n"
        f"Fecha: {fecha:%d/%m/%Y}"
    )
    panel.text(0.05, 0.02, pie, va="bottom", fontsize=7.5, linespacing=1.5)
    return fig


def publicar_laminas(temas: list[Tema], titulo_ordenanza: str, salida: Path,
                     fecha: dt.date, zona_urbana: np.ndarray | None = None
                     ) -> dict[str, list[Path]]:
    """Escribe ``<tema>.pdf`` y ``<tema>.png`` por tema y ``anexo-mapas.pdf`` con todas.

    Si los predios ocupan mucho más que la ``zona_urbana`` (geometrías, metros), cada tema
    lleva además una lámina de detalle encuadrada en ella (``<tema>-urbano.pdf``/``.png``):
    a la escala de todo el distrito los predios urbanos no se distinguen.

    Returns
    -------
    dict: archivo HTML del tema → rutas de su PDF y PNG.
    """
    salida = Path(salida)
    meta = {"Title": f"Anexo – {titulo_ordenanza}", "Creator": "catastro (geo.mapas)",
            "CreationDate": None}
    escritos: dict[str, list[Path]] = {}
    detalle = None
    if zona_urbana is not None and len(zona_urbana) and temas:
        urbana = shapely.total_bounds(zona_urbana)
        predios = next((c for c in temas[0].capas if c.id == "predios"), None)
        todo = shapely.total_bounds(predios.geometrias) if predios else urbana
        area = lambda b: max(b[2] - b[0], 1.0) * max(b[3] - b[1], 1.0)
        if area(todo) > 4 * area(urbana):
            detalle = tuple(float(v) for v in urbana)
    with archivo_atomico(salida / "anexo-mapas.pdf") as tmp_anexo, \
            PdfPages(tmp_anexo, metadata=meta) as anexo:
        for tema in temas:
            escritos[tema.archivo] = []
            hojas = [("", None, "")]
            if detalle is not None:
                hojas.append(("-urbano", detalle, "detalle de la zona urbana"))
            for sufijo, encuadre, texto in hojas:
                fig = lamina(tema, titulo_ordenanza, fecha, encuadre, texto)
                pdf = salida / f"{Path(tema.archivo).stem}{sufijo}.pdf"
                png = pdf.with_suffix(".png")
                with archivo_atomico(pdf) as tmp:
                    fig.savefig(tmp, format="pdf", metadata=meta | {"Title": tema.titulo})
                with archivo_atomico(png) as tmp:
                    fig.savefig(tmp, format="png", dpi=DPI_PNG)
                anexo.savefig(fig)
                escritos[tema.archivo] += [pdf, png]
                log.info("lámina %s", pdf.name)
    return escritos

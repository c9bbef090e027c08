"""Salidas del modo catastro: CSV y XLSX por predio, un CSV por cuadro, resumen JSON e informe HTML.

Todas las escrituras son atómicas (:func:`geo.capas.archivo_atomico`: temporal en la misma carpeta
y ``os.replace``). Ninguna salida lleva nombres de contribuyentes ni documentos.
"""

from __future__ import annotations

import html
import itertools
import json
import math
from decimal import Decimal
from pathlib import Path

import pandas as pd

from geo.capas import archivo_atomico
from geo.esquema import USOS, exigir_sin_personales
from geo.ordenanza import NOMBRES_SERVICIO, SERVICIOS
from geo.tarifas.cuadro import Cuadro
from geo.tarifas.dinero import num, redondear
from geo.tarifas.motor import ResultadoTarifas

COLUMNAS_CSV = ["codigo", "uso", "zona_recoleccion", "sector_barrido", "categoria_parques",
                "frontis_m", "area_construida_m2", "barrido_mensual", "recoleccion_mensual",
                "parques_mensual", "serenazgo_mensual", "exoneracion", "total_mensual",
                "total_anual"]


def tabla_predios(resultado: ResultadoTarifas) -> pd.DataFrame:
    """La tabla publicable por predio (montos en S/, redondeados a céntimos)."""
    t = resultado.predios[COLUMNAS_CSV].copy()
    exigir_sin_personales(t.columns, "La tabla de arbitrios por predio")
    return t


def _str(x) -> str:
    if isinstance(x, Decimal):
        return str(x)
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return ""
    return str(x)


def _escribir_csv(df: pd.DataFrame, destino: Path) -> None:
    with archivo_atomico(destino) as tmp:
        df.map(_str).to_csv(tmp, index=False, encoding="utf-8")


FILAS_POR_HOJA = 1_048_575  # filas de datos de una hoja de Excel (1 048 576 con la cabecera)


def _celda(v):
    """Valor de una celda: los montos (``Decimal``) como número; lo que falta, vacío."""
    if isinstance(v, Decimal):
        v = float(v)
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def _escribir_xlsx(df: pd.DataFrame, destino: Path, montos_desde: int) -> None:
    """La tabla en ``destino`` (XLSX), hoja «arbitrios»; las columnas desde ``montos_desde``
    con formato ``#,##0.00``. Cabecera en negrita, fija al desplazarse y con autofiltro.

    Con xlsxwriter en modo de memoria constante: cada fila se escribe a disco en cuanto se
    arma, así que un millón de predios no se guardan como celdas en memoria (con openpyxl,
    100 000 predios tardaban ~57 s; así, ~20 s). Si hay más filas de las que caben en una hoja
    de Excel, siguen en «arbitrios_2», «arbitrios_3»…, cada una con su cabecera: ninguna fila
    se pierde. Los textos se escriben como texto (nunca como fórmula ni enlace).
    """
    import xlsxwriter

    columnas = list(df.columns)
    filas = zip(*([_celda(v) for v in df[c].tolist()] for c in columnas))
    with archivo_atomico(destino) as tmp:
        libro = xlsxwriter.Workbook(str(tmp), {"constant_memory": True,
                                               "strings_to_formulas": False,
                                               "strings_to_urls": False})
        try:
            negrita = libro.add_format({"bold": True})
            monto = libro.add_format({"num_format": "#,##0.00"})
            for k, desde in enumerate(range(0, max(len(df), 1), FILAS_POR_HOJA), start=1):
                cuantas = min(FILAS_POR_HOJA, len(df) - desde)
                hoja = _hoja_xlsx(libro, "arbitrios" if k == 1 else f"arbitrios_{k}",
                                  columnas, cuantas, negrita)
                for i, fila in enumerate(itertools.islice(filas, cuantas), start=1):
                    hoja.write_row(i, 0, fila[:montos_desde])
                    hoja.write_row(i, montos_desde, fila[montos_desde:], monto)
        finally:
            libro.close()


def _hoja_xlsx(libro, nombre: str, columnas: list[str], filas: int, negrita):
    """Hoja nueva con la cabecera en negrita, fija al desplazarse y con autofiltro sobre
    ``filas`` filas de datos."""
    hoja = libro.add_worksheet(nombre)
    hoja.write_row(0, 0, columnas, negrita)
    hoja.freeze_panes(1, 0)
    hoja.set_column(0, 0, 24)
    hoja.set_column(1, len(columnas) - 1, 13)
    hoja.autofilter(0, 0, max(filas, 1), len(columnas) - 1)
    return hoja


def _json_default(x):
    if isinstance(x, Decimal):
        return str(redondear(x, 2)) if x.as_tuple().exponent < -2 else str(x)
    raise TypeError(type(x))


def _s2(x) -> str:
    return f"{redondear(x, 2):.2f}"


def conciliacion_publicable(resultado: ResultadoTarifas) -> dict[str, dict]:
    """La conciliación por servicio con los montos como texto a 2 decimales (``"1200.00"``)."""
    out = {}
    for s, c in resultado.conciliacion.items():
        out[s] = {k: (_s2(v) if isinstance(v, Decimal) else v) for k, v in c.items()}
    return out


def resumen(resultado: ResultadoTarifas) -> dict:
    """Lo que va a ``resumen.json``: totales, conciliación por servicio, tasas y avisos.

    Los montos van como texto con 2 decimales (``"261895.56"``), las mismas cifras que
    :func:`formatear_conciliacion`.
    """
    o = resultado.ordenanza
    R = resultado.predios
    return {
        "ordenanza": o.meta.get("ordenanza", ""),
        "municipalidad": o.meta.get("municipalidad", ""),
        "ejercicio": o.meta.get("ejercicio", ""),
        "predios": len(R),
        "total_mensual": _s2(sum(R["total_mensual"], Decimal(0))),
        "total_anual": _s2(sum(R["total_anual"], Decimal(0))),
        "servicios": conciliacion_publicable(resultado),
        "conciliado": all(c["cuadra"] for c in resultado.conciliacion.values()),
        "fuentes_frontis": resultado.fuentes_frontis,
        "cuadros": sorted(resultado.cuadros, key=_orden_cuadro),
        "tasas": {s: _tasas_publicables(resultado, s) for s in SERVICIOS},
        "avisos": resultado.avisos,
    }


def _orden_cuadro(numero: str) -> tuple[int, str]:
    digitos = "".join(ch for ch in numero if ch.isdigit())
    return (int(digitos) if digitos else 0, numero)


def formatear_conciliacion(resultado: ResultadoTarifas) -> str:
    """Tabla alineada, en español, de la conciliación de cada servicio (S/ anuales).

    Columnas: costo distribuido, Σ cuotas cobradas, Σ exonerado, residuo de redondeo, costo sin
    distribuir y ✓/✗ según cobrado + exonerado + residuo = costo distribuido al céntimo. El
    residuo se mide predio a predio (importe exacto − importe redondeado), así que un ✗ delata
    costo que no llegó a ningún predio.
    """
    cab = ["Servicio", "Costo distribuido", "Σ cuotas cobradas", "Σ exonerado",
           "Residuo de redondeo", "Sin distribuir", "Cuadra"]
    filas = [cab]
    tot = {k: Decimal(0) for k in ("costo_distribuido", "cobrado_anual", "exonerado_anual",
                                   "residuo_redondeo", "costo_sin_distribuir")}
    for s in SERVICIOS:
        c = resultado.conciliacion[s]
        filas.append([c["servicio"], *(num(c[k]) for k in tot),
                      "✓" if c["cuadra"] else "✗"])
        for k in tot:
            tot[k] += c[k]
    todo = all(c["cuadra"] for c in resultado.conciliacion.values())
    filas.append(["Total", *(num(v) for v in tot.values()),
                  "✓" if todo else "✗"])
    anchos = [max(len(f[i]) for f in filas) for i in range(len(cab))]
    lineas = [("Conciliación por servicio (S/ anuales): cobrado + exonerado + residuo = costo "
               "distribuido; costo distribuido + sin distribuir = costo del servicio")]
    for j, f in enumerate(filas):
        celdas = [f[0].ljust(anchos[0])] + [x.rjust(anchos[i]) for i, x in enumerate(f) if i]
        if j == len(filas) - 1:
            lineas.append("  ".join("─" * a for a in anchos))
        lineas.append("  ".join(celdas).rstrip())
        if j == 0:
            lineas.append("  ".join("─" * a for a in anchos))
    if not todo:
        lineas.append("HAY SERVICIOS QUE NO CUADRAN: revise los avisos.")
    return "\n".join(lineas)


def _tasas_publicables(resultado: ResultadoTarifas, servicio: str) -> list[dict]:
    o = resultado.ordenanza
    dm, da = o.decimales_tasa_mensual[servicio], o.decimales_tasa_anual[servicio]
    out = []
    for k, v in sorted(resultado.tasas[servicio].items(), key=lambda kv: str(kv[0])):
        anual = v[0] if isinstance(v, tuple) else v
        grupo = "/".join(map(str, k)) if isinstance(k, tuple) else str(k)
        out.append({"grupo": grupo, "tasa_anual": str(redondear(anual, da)),
                    "tasa_mensual": str(redondear(anual / o.meses, dm))})
    return out


def escribir_salidas(resultado: ResultadoTarifas, directorio) -> list[Path]:
    """Escribe las salidas en ``directorio`` y devuelve las rutas escritas.

    ``arbitrios_predios.csv`` y ``.xlsx``, ``cuadros/cuadro_NN.csv``, ``resumen.json`` (totales por
    servicio y conciliación) e ``informe.html`` (informe técnico imprimible).
    """
    d = Path(directorio)
    d.mkdir(parents=True, exist_ok=True)
    escritos = []
    t = tabla_predios(resultado)
    _escribir_csv(t, d / "arbitrios_predios.csv")
    escritos.append(d / "arbitrios_predios.csv")

    _escribir_xlsx(t, d / "arbitrios_predios.xlsx", montos_desde=COLUMNAS_CSV.index(
        "barrido_mensual"))
    escritos.append(d / "arbitrios_predios.xlsx")

    for _, c in sorted(resultado.cuadros.items(), key=lambda kv: _orden_cuadro(kv[0])):
        ruta = d / "cuadros" / c.archivo
        _escribir_csv(c.como_dataframe(), ruta)
        escritos.append(ruta)

    with archivo_atomico(d / "resumen.json") as tmp:
        tmp.write_text(json.dumps(resumen(resultado), default=_json_default, ensure_ascii=False,
                                  indent=2), encoding="utf-8")
    escritos.append(d / "resumen.json")

    with archivo_atomico(d / "informe.html") as tmp:
        tmp.write_text(informe_html(resultado), encoding="utf-8")
    escritos.append(d / "informe.html")
    return escritos


# ---------------------------------------------------------------------------------------------
# informe técnico
# ---------------------------------------------------------------------------------------------

_CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10.5pt; margin: 2em; color: #111; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; border-bottom: 1px solid #444; margin-top: 2em; }
h3 { font-size: 11pt; margin-bottom: .2em; }
table { border-collapse: collapse; margin: .4em 0 1.2em; }
th, td { border: 1px solid #888; padding: 2px 6px; }
th { background: #eee; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; }
p.formula { font-family: monospace; font-size: 9.5pt; margin: .2em 0; }
p.nota { font-size: 9pt; margin: -.8em 0 1.2em; }
.servicio { page-break-before: always; }
@media print { body { margin: 1cm; } .servicio { page-break-before: always; }
  table { page-break-inside: avoid; } h2, h3 { page-break-after: avoid; } }
"""


def _tabla_cuadro(c: Cuadro) -> str:
    df = c.como_dataframe()
    cab = "".join(f"<th>{html.escape(col.titulo)}</th>" for col in c.columnas)
    filas = []
    n = len(df)
    for i, (_, f) in enumerate(df.iterrows()):
        celdas = []
        for col in c.columnas:
            v = f[col.titulo]
            if isinstance(v, Decimal):
                celdas.append(f"<td class='n'>{v:,.{col.decimales or 0}f}</td>")
            elif isinstance(v, int):
                celdas.append(f"<td class='n'>{v:,}</td>")
            else:
                celdas.append(f"<td>{html.escape(str(v))}</td>")
        clase = " class='total'" if c.totales and i == n - 1 else ""
        filas.append(f"<tr{clase}>{''.join(celdas)}</tr>")
    formula = (f"<p class='formula'>{html.escape(c.linea_formulas)}</p>"
               if c.linea_formulas else "")
    nota = f"<p class='nota'>{html.escape(c.nota)}</p>" if c.nota else ""
    return (f"<h3>Cuadro N° {html.escape(c.numero)} — {html.escape(c.titulo)}</h3>{formula}"
            f"<table><thead><tr>{cab}</tr></thead><tbody>{''.join(filas)}</tbody></table>{nota}")


def informe_html(resultado: ResultadoTarifas) -> str:
    """Informe técnico regenerado con el catastro (español, imprimible)."""
    o = resultado.ordenanza
    por_servicio = {s: [n for n in sorted(resultado.cuadros, key=_orden_cuadro)
                        if resultado.cuadros[n].servicio == s] for s in SERVICIOS}
    partes = [f"<!doctype html><html lang='es'><head><meta charset='utf-8'>"
              f"<title>Informe técnico de arbitrios {o.meta.get('ejercicio', '')}</title>"
              f"<style>{_CSS}</style></head><body>",
              f"<h1>Informe técnico de determinación de arbitrios — "
              f"{html.escape(str(o.meta.get('municipalidad', '')))}, ejercicio "
              f"{o.meta.get('ejercicio', '')}</h1>",
              f"<p>Base legal: {html.escape(str(o.meta.get('ordenanza', '')))}. Costos y "
              "criterios de distribución de la ordenanza; cantidades del catastro. Montos en "
              "soles; las tasas se muestran redondeadas y los arbitrios se calculan con la tasa "
              "sin redondear y se redondean al céntimo al final.</p>"]
    partes.append("<h2>Resumen por servicio</h2><table><thead><tr><th>Servicio</th>"
                  "<th>Costo anual</th><th>Sin distribuir</th><th>Costo distribuido</th>"
                  "<th>Σ cuotas cobradas</th><th>Σ exonerado</th><th>Residuo de redondeo</th>"
                  "<th>Cuadra</th></tr></thead><tbody>")
    for s in SERVICIOS:
        c = resultado.conciliacion[s]
        partes.append(
            f"<tr><td>{NOMBRES_SERVICIO[s]}</td>"
            + "".join(f"<td class='n'>{num(c[k])}</td>"
                      for k in ("costo", "costo_sin_distribuir", "costo_distribuido",
                                "cobrado_anual", "exonerado_anual", "residuo_redondeo"))
            + f"<td>{'✓' if c['cuadra'] else '✗'}</td></tr>")
    partes.append("</tbody></table>")
    ff = resultado.fuentes_frontis
    if ff is not None:
        partes.append(
            "<p><b>Frontis:</b> "
            f"{ff['predios_confirmado']:,} predios pagan barrido sobre frontis confirmado en "
            f"campo (S/ {ff.get('monto_confirmado', 0):,.2f} al año) y "
            f"{ff['predios_derivado']:,} sobre frontis derivado de la geometría "
            f"(S/ {ff.get('monto_derivado', 0):,.2f}); diferencia total confirmada − derivada: "
            f"{ff['diferencia_confirmado_m']:,.2f} m.</p>")
    for s in SERVICIOS:
        serv = o.servicio(s)
        partes.append(f"<section class='servicio'><h2>{html.escape(serv.nombre)}</h2>"
                      f"<p>Criterio: {html.escape(serv.criterio)}. Costo anual del servicio: "
                      f"S/ {serv.costo.total:,.2f} (directos {serv.costo.directos:,.2f}, "
                      f"indirectos {serv.costo.indirectos:,.2f}, fijos {serv.costo.fijos:,.2f}).</p>")
        for n in por_servicio[s]:
            if n in resultado.cuadros:
                partes.append(_tabla_cuadro(resultado.cuadros[n]))
        partes.append("</section>")
    if resultado.avisos:
        partes.append("<h2>Avisos</h2><ul>" + "".join(f"<li>{html.escape(a)}</li>"
                                                        for a in resultado.avisos) + "</ul>")
    partes.append("<h2>Usos (Sistema Nacional de Catastro)</h2><p>"
                  + "; ".join(f"{k} {v}" for k, v in USOS.items()) + ".</p></body></html>")
    return "\n".join(partes)

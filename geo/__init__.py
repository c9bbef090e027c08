"""catastro: catastro geoespacial y arbitrios municipales.

Flujo de datos, en un solo sentido:
capas → validación → derivaciones → tarifas → salidas (tablas, informe, mapas).
"""

__version__ = "0.1.0"

# Auto-generated entities
from __future__ import annotations

from base_repository import ConfigurableEntity, EntityConfig, KeyType
from decimal import Decimal


# Customer Entity Configuration
CUSTOMER_CONFIG = EntityConfig(
    entity_type='CUSTOMER',
    pk_builder=lambda entity: f'CUSTOMER#{entity.customer_id}',
    pk_lookup_builder=lambda customer_id: f'CUSTOMER#{customer_id}',
    sk_builder=lambda entity: 'PROFILE',
    sk_lookup_builder=lambda: 'PROFILE',
    prefix_builder=lambda **kwargs: 'CUSTOMER#',
)


class Customer(ConfigurableEntity):
    customer_id: str
    email: str
    full_name: str
    created_at: str

    @classmethod
    def get_config(cls) -> EntityConfig:
        return CUSTOMER_CONFIG


# Order Entity Configuration
ORDER_CONFIG = EntityConfig(
    entity_type='ORDER',
    pk_builder=lambda entity: f'CUSTOMER#{entity.customer_id}',
    pk_lookup_builder=lambda customer_id: f'CUSTOMER#{customer_id}',
    sk_builder=lambda entity: f'ORDER#{entity.order_date}#{entity.order_id}',
    sk_lookup_builder=lambda order_date, order_id: f'ORDER#{order_date}#{order_id}',
    prefix_builder=lambda **kwargs: 'ORDER#',
)


class Order(ConfigurableEntity):
    customer_id: str
    order_date: str
    order_id: str
    status: str
    total: Decimal
    item_count: int

    @classmethod
    def get_config(cls) -> EntityConfig:
        return ORDER_CONFIG

    # GSI Key Builder Class Methods

    @classmethod
    def build_gsi_pk_for_lookup_status_date_index(cls, status) -> KeyType:
        """Build GSI partition key for StatusDateIndex lookup operations"""
        return f'{status}'

    @classmethod
    def build_gsi_sk_for_lookup_status_date_index(cls, order_date) -> KeyType:
        """Build GSI sort key for StatusDateIndex lookup operations"""
        return f'{order_date}'

    # GSI Key Builder Instance Methods

    def build_gsi_pk_status_date_index(self) -> KeyType:
        """Build GSI partition key for StatusDateIndex from entity instance"""
        return f'{self.status}'

    def build_gsi_sk_status_date_index(self) -> KeyType:
        """Build GSI sort key for StatusDateIndex from entity instance"""
        return f'{self.order_date}'

    # GSI Prefix Helper Methods

    @classmethod
    def get_gsi_pk_prefix_status_date_index(cls) -> str:
        """Get GSI partition key prefix for StatusDateIndex query operations"""
        return ''

    @classmethod
    def get_gsi_sk_prefix_status_date_index(cls) -> str:
        """Get GSI sort key prefix for StatusDateIndex query operations"""
        return ''

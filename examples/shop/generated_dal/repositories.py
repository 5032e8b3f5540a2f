# Auto-generated repositories
from __future__ import annotations

from base_repository import BaseRepository
from decimal import Decimal
from entities import Customer, Order


class CustomerRepository(BaseRepository[Customer]):
    """Repository for Customer entity operations"""

    def __init__(self, table_name: str = 'ShopOrders'):
        super().__init__(Customer, table_name, 'pk', 'sk')

    # Basic CRUD Operations (Generated)
    def create_customer(self, customer: Customer) -> Customer:
        """Create a new customer"""
        return self.create(customer)

    def get_customer(self, customer_id: str) -> Customer | None:
        """Get a customer by key"""
        pk = Customer.build_pk_for_lookup(customer_id)
        sk = Customer.build_sk_for_lookup()
        return self.get(pk, sk)

    def update_customer(self, customer: Customer) -> Customer:
        """Update an existing customer"""
        return self.update(customer)

    def delete_customer(self, customer_id: str) -> bool:
        """Delete a customer"""
        pk = Customer.build_pk_for_lookup(customer_id)
        sk = Customer.build_sk_for_lookup()
        return self.delete(pk, sk)

    def lookup_customer(self, customer_id: str) -> Customer | None:
        """Read a customer profile with strong consistency"""
        # TODO: Implement Access Pattern #1
        # Operation: GetItem | Index: Main Table
        #
        # Main Table GetItem Example:
        # response = self.table.get_item(
        #     Key={'pk': pk_value, 'sk': sk_value},
        #     ConsistentRead=True
        # )
        pass

    def register_customer(self, customer: Customer) -> Customer | None:
        """Upsert a customer profile"""
        # TODO: Implement Access Pattern #2
        # Operation: PutItem | Index: Main Table
        #
        # Main Table PutItem Example:
        # PutItem access pattern - unconditional upsert (no version checking)
        # Creates if not exists, overwrites if exists
        # self.table.put_item(Item=customer.model_dump())
        # return customer
        pass

    def change_customer_email(self, customer_id: str, email: str) -> Customer | None:
        """Change the email address of a customer"""
        # TODO: Implement Access Pattern #3
        # Operation: UpdateItem | Index: Main Table
        #
        # Main Table UpdateItem Example:
        # Key Building:
        # - PK is built from: customer_id (template: CUSTOMER#{customer_id})
        # - SK is built from:  (template: PROFILE)
        # pk = Customer.build_pk_for_lookup(customer_id)
        # sk = Customer.build_sk_for_lookup()
        #
        # Update field parameter(s): email
        #
        # current_item = self.get(pk, sk)
        # if not current_item:
        #     raise RuntimeError(f"{self.model_class.__name__} not found")
        # current_version = current_item.version
        # next_version = current_version + 1
        # response = self.table.update_item(
        #     Key={'pk': pk, 'sk': sk},
        #     UpdateExpression='SET #field = :val, version = :new_version',
        #     ConditionExpression='version = :current_version',
        #     ExpressionAttributeNames={'#field': 'field_to_update'},
        #     ExpressionAttributeValues={':val': <update_param>, ':current_version': current_version, ':new_version': next_version},
        #     ReturnValues='ALL_NEW'
        # )
        # return self.model_class(**response['Attributes'])
        pass


class OrderRepository(BaseRepository[Order]):
    """Repository for Order entity operations"""

    def __init__(self, table_name: str = 'ShopOrders'):
        super().__init__(Order, table_name, 'pk', 'sk')

    # Basic CRUD Operations (Generated)
    def create_order(self, order: Order) -> Order:
        """Create a new order"""
        return self.create(order)

    def get_order(self, customer_id: str, order_date: str, order_id: str) -> Order | None:
        """Get a order by key"""
        pk = Order.build_pk_for_lookup(customer_id)
        sk = Order.build_sk_for_lookup(order_date, order_id)
        return self.get(pk, sk)

    def update_order(self, order: Order) -> Order:
        """Update an existing order"""
        return self.update(order)

    def delete_order(self, customer_id: str, order_date: str, order_id: str) -> bool:
        """Delete a order"""
        pk = Order.build_pk_for_lookup(customer_id)
        sk = Order.build_sk_for_lookup(order_date, order_id)
        return self.delete(pk, sk)

    def find_order(self, customer_id: str, order_date: str, order_id: str) -> Order | None:
        """Read one order of a customer"""
        # TODO: Implement Access Pattern #4
        # Operation: GetItem | Index: Main Table
        #
        # Main Table GetItem Example:
        # response = self.table.get_item(
        #     Key={'pk': pk_value, 'sk': sk_value}
        # )
        pass

    def list_customer_orders_for_month(
        self,
        customer_id: str,
        month_prefix: str,
        limit: int = 100,
        exclusive_start_key: dict | None = None,
        skip_invalid_items: bool = True,
    ) -> tuple[list[Order], dict | None]:
        """Orders of a customer whose date starts with a month prefix

        Args:
            customer_id: Customer id
            month_prefix: Month prefix
            limit: Maximum items per page (default: 100)
            exclusive_start_key: Continuation token from previous page
            skip_invalid_items: If True, skip items that fail deserialization and continue. If False, raise exception on validation errors.

        Returns:
            tuple: (items, last_evaluated_key)
        """
        # TODO: Implement Access Pattern #5
        # Operation: Query | Index: Main Table | Range Condition: begins_with
        # Note: 'begins_with' requires 1 parameter for the range condition
        #
        # Main Table Query Example:
        # pk = Order.build_pk_for_lookup(customer_id)
        # Note: Item collection detected - multiple entities share PK "CUSTOMER#{customer_id}"
        # Use begins_with('ORDER#') to filter for only Order items
        # query_params = {
        #     'KeyConditionExpression': Key('pk').eq(pk) & Key('sk').begins_with(month_prefix),
        #     'Limit': limit
        # }
        # if exclusive_start_key:
        #     query_params['ExclusiveStartKey'] = exclusive_start_key
        # response = self.table.query(**query_params)
        # return self._parse_query_response(response, skip_invalid_items)
        pass

    def list_customer_orders_between(
        self,
        customer_id: str,
        start_date: str,
        end_date: str,
        limit: int = 100,
        exclusive_start_key: dict | None = None,
        skip_invalid_items: bool = True,
    ) -> tuple[list[Order], dict | None]:
        """Orders of a customer placed between two dates

        Args:
            customer_id: Customer id
            start_date: Start date
            end_date: End date
            limit: Maximum items per page (default: 100)
            exclusive_start_key: Continuation token from previous page
            skip_invalid_items: If True, skip items that fail deserialization and continue. If False, raise exception on validation errors.

        Returns:
            tuple: (items, last_evaluated_key)
        """
        # TODO: Implement Access Pattern #6
        # Operation: Query | Index: Main Table | Range Condition: between
        # Note: 'between' requires 2 parameters (min, max) for the range condition
        #
        # Main Table Query Example:
        # pk = Order.build_pk_for_lookup(customer_id)
        # Note: Item collection detected - multiple entities share PK "CUSTOMER#{customer_id}"
        # Use begins_with('ORDER#') to filter for only Order items
        # query_params = {
        #     'KeyConditionExpression': Key('pk').eq(pk) & Key('sk').between(start_date, end_date),
        #     'Limit': limit
        # }
        # if exclusive_start_key:
        #     query_params['ExclusiveStartKey'] = exclusive_start_key
        # response = self.table.query(**query_params)
        # return self._parse_query_response(response, skip_invalid_items)
        pass

    def orders_by_status_since(
        self,
        status: str,
        since_date: str,
        limit: int = 100,
        exclusive_start_key: dict | None = None,
        skip_invalid_items: bool = True,
    ) -> tuple[list[Order], dict | None]:
        """Orders in a status placed on or after a date

        Projection: ALL
        All entity attributes are available.

        Args:
            status: Status
            since_date: Since date
            limit: Maximum items per page (default: 100)
            exclusive_start_key: Continuation token from previous page
            skip_invalid_items: If True, skip items that fail deserialization and continue. If False, raise exception on validation errors.

        Returns:
            tuple: (items, last_evaluated_key)
        """
        # TODO: Implement Access Pattern #7
        # Operation: Query | Index: StatusDateIndex (GSI) | Range Condition: >=
        # Note: '>=' requires 1 parameter for the range condition
        #
        # gsi_pk = Order.build_gsi_pk_for_lookup_status_date_index(status)
        # query_params = {
        #     'IndexName': 'StatusDateIndex',
        #     'KeyConditionExpression': Key('status').eq(gsi_pk) & Key('order_date').>=(since_date),
        #     'Limit': limit
        # }
        # if exclusive_start_key:
        #     query_params['ExclusiveStartKey'] = exclusive_start_key
        # response = self.table.query(**query_params)
        # return self._parse_query_response(response, skip_invalid_items)
        pass

    def large_orders_of_customer(
        self,
        customer_id: str,
        min_total: Decimal,
        excluded_status: str = 'CANCELLED',
        limit: int = 100,
        exclusive_start_key: dict | None = None,
        skip_invalid_items: bool = True,
    ) -> tuple[list[Order], dict | None]:
        """Orders of a customer with a minimum total, excluding one status

        Args:
            customer_id: Customer id
            min_total: Min total
            excluded_status: Excluded status
            limit: Maximum items per page (default: 100)
            exclusive_start_key: Continuation token from previous page
            skip_invalid_items: If True, skip items that fail deserialization and continue. If False, raise exception on validation errors.

        Filter Expression: #total >= :min_total AND #status <> :excluded_status
        Note: Filter expressions are applied AFTER data is read from DynamoDB.
        Read capacity is consumed based on items read, not items returned.

        Returns:
            tuple: (items, last_evaluated_key)
        """
        # TODO: Implement Access Pattern #8
        # Operation: Query | Index: Main Table | Filter Expression: #total >= :min_total AND #status <> :excluded_status
        #
        # Filter Expression Implementation:
        #     'FilterExpression': '#total >= :min_total AND #status <> :excluded_status',
        #     'ExpressionAttributeNames': {
        #         '#total': 'total',
        #         '#status': 'status',
        #     },
        #     'ExpressionAttributeValues': {
        #         ':min_total': min_total,
        #         ':excluded_status': excluded_status,
        #     },
        #
        # Main Table Query Example:
        # pk = Order.build_pk_for_lookup(customer_id)
        # Note: Item collection detected - multiple entities share PK "CUSTOMER#{customer_id}"
        # Use begins_with('ORDER#') to filter for only Order items
        # query_params = {
        #     'KeyConditionExpression': Key('pk').eq(pk) & Key('sk').begins_with('ORDER#'),
        #     'Limit': limit
        # }
        # if exclusive_start_key:
        #     query_params['ExclusiveStartKey'] = exclusive_start_key
        # response = self.table.query(**query_params)
        # return self._parse_query_response(response, skip_invalid_items)
        pass

    def scan_orders_in_statuses(
        self,
        first_status: str,
        second_status: str,
        limit: int = 100,
        exclusive_start_key: dict | None = None,
        skip_invalid_items: bool = True,
    ) -> tuple[list[Order], dict | None]:
        """Scan for orders in any of two statuses

        Args:
            first_status: First status
            second_status: Second status
            limit: Maximum items per page (default: 100)
            exclusive_start_key: Continuation token from previous page
            skip_invalid_items: If True, skip items that fail deserialization and continue. If False, raise exception on validation errors.

        Filter Expression: #status IN (:first_status, :second_status)
        Note: Filter expressions are applied AFTER data is read from DynamoDB.
        Read capacity is consumed based on items read, not items returned.

        Returns:
            tuple: (items, last_evaluated_key)
        """
        # TODO: Implement Access Pattern #9
        # Operation: Scan | Index: Main Table | Filter Expression: #status IN (:first_status, :second_status)
        #
        # Filter Expression Implementation:
        #     'FilterExpression': '#status IN (:first_status, :second_status)',
        #     'ExpressionAttributeNames': {
        #         '#status': 'status',
        #     },
        #     'ExpressionAttributeValues': {
        #         ':first_status': first_status,
        #         ':second_status': second_status,
        #     },
        #
        # Main Table Scan Example:
        # scan_params = {'Limit': limit}
        # scan_params['FilterExpression'] = Attr('first_status').eq(first_status)
        # if exclusive_start_key:
        #     scan_params['ExclusiveStartKey'] = exclusive_start_key
        # response = self.table.scan(**scan_params)
        # return self._parse_query_response(response, skip_invalid_items)
        pass

    def cancel_order(self, customer_id: str, order_date: str, order_id: str) -> Order | None:
        """Delete an order of a customer"""
        # TODO: Implement Access Pattern #10
        # Operation: DeleteItem | Index: Main Table
        #
        # Main Table DeleteItem Example:
        # Key Building:
        # - PK is built from: customer_id (template: CUSTOMER#{customer_id})
        # - SK is built from: order_date, order_id (template: ORDER#{order_date}#{order_id})
        # pk = Order.build_pk_for_lookup(customer_id)
        # sk = Order.build_sk_for_lookup(order_date, order_id)
        # response = self.table.delete_item(
        #     Key={'pk': pk, 'sk': sk}
        # )
        pass

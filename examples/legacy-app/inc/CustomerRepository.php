<?php
/*
 * Customer data access, the "new style" of 2015: object-oriented mysqli with
 * prepared statements. Only customer.php uses it so far.
 */
class CustomerRepository
{
    /** @var mysqli */
    private $db;

    public function __construct(mysqli $db)
    {
        $this->db = $db;
    }

    /**
     * @return CustomerRepository|null null when the database is unreachable
     */
    public static function fromConfig(array $config)
    {
        $db = @new mysqli(
            $config['db_host'],
            $config['db_user'],
            $config['db_password'],
            $config['db_name'],
            $config['db_port'],
            $config['db_socket']
        );
        if ($db->connect_errno) {
            return null;
        }
        $db->set_charset('utf8mb4');
        return new self($db);
    }

    public function find($id)
    {
        $stmt = $this->db->prepare('SELECT id, name, email, city FROM customers WHERE id = ?');
        if ($stmt === false) {
            return null;
        }
        $stmt->bind_param('i', $id);
        $stmt->execute();
        $result = $stmt->get_result();
        $row = $result->fetch_assoc();
        $stmt->close();
        return $row ? $row : null;
    }

    public function orders($customerId)
    {
        $stmt = $this->db->prepare(
            'SELECT o.id, o.status, o.placed_on, SUM(i.qty * i.unit_price) AS total'
            . ' FROM orders o JOIN order_items i ON i.order_id = o.id'
            . ' WHERE o.customer_id = ?'
            . ' GROUP BY o.id, o.status, o.placed_on ORDER BY o.id'
        );
        if ($stmt === false) {
            return array();
        }
        $stmt->bind_param('i', $customerId);
        $stmt->execute();
        $result = $stmt->get_result();
        $rows = array();
        while ($row = $result->fetch_assoc()) {
            $rows[] = $row;
        }
        $stmt->close();
        return $rows;
    }

    public function close()
    {
        $this->db->close();
    }
}
